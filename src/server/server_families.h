// Server-level command families: they need the Server itself (clients, config, stats), so they
// live in the server layer rather than in commands/.
#pragma once

#include "commands/command.h"
#include "server/connection.h"
#include "server/server.h"

namespace ember {

// Handlers of server-level families run only for the Server and its Connections.
inline Server& ServerOf(CommandContext& ctx) { return static_cast<Server&>(ctx.services()); }
inline Connection& ConnOf(CommandContext& ctx) { return static_cast<Connection&>(ctx.client()); }

// A CLIENT LIST line for `conn` (client_family.cc); `running_args`/`running_cmd` describe the
// command it is running, if any (argv-mem=, cmd=).
std::string DescribeClient(const Connection& conn, Server& server,
                           std::span<const std::string_view> running_args,
                           std::string_view running_cmd);

// Redis's addReplySubcommandSyntaxError: "unknown subcommand or wrong number of arguments for
// '<arg 1>'. Try <CONTAINER> HELP." (introspection_family.cc).
void ReplySubcommandSyntaxError(CommandContext& ctx);

void RegisterConnectionFamily(CommandTable& table);  // connection_family.cc
void RegisterServerFamily(CommandTable& table);      // server_family.cc (CONFIG, SHUTDOWN, ...)
void RegisterInfoFamily(CommandTable& table);        // info.cc (INFO)
void RegisterClientFamily(CommandTable& table);      // client_family.cc (CLIENT)
void RegisterCommandFamily(CommandTable& table);     // command_family.cc (COMMAND)
void RegisterIntrospectionFamily(CommandTable& table);  // introspection_family.cc (SLOWLOG, ...)
void RegisterDebugFamily(CommandTable& table);       // debug_family.cc (DEBUG)
void RegisterAclFamily(CommandTable& table);         // acl_family.cc (ACL)
void RegisterPersistenceFamily(CommandTable& table);  // persistence_family.cc (SAVE, DUMP, ...)
void RegisterReplicationFamily(CommandTable& table);  // replication_family.cc (REPLICAOF, ...)
void RegisterTransactionFamily(CommandTable& table);  // transaction_family.cc (MULTI, EXEC, ...)
void RegisterPubSubFamily(CommandTable& table);      // pubsub_family.cc (SUBSCRIBE, PUBLISH, ...)
void RegisterScriptingFamily(CommandTable& table);    // scripting_family.cc (EVAL, SCRIPT)
void RegisterFunctionFamily(CommandTable& table);     // function_family.cc (FCALL, FUNCTION)

}  // namespace ember
