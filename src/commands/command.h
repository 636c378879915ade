// The command table: one declarative entry per command (name, arity, flags, key positions, ACL
// categories, handler), and the context a handler runs in.
//
// Handlers follow parse -> operate -> reply: they read ctx.args(), operate on ctx.db(), and write
// one reply through ctx.reply(). They never touch sockets and never know whether they run for a
// normal client, inside MULTI, in a script, or for a master's link: the context tells them what
// they need. Whatever a write command changed is propagated by the dispatcher, as the original
// argv or as the deterministic rewrite the handler asks for with ctx.Propagate*.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/notify.h"
#include "common/strings.h"
#include "common/status.h"
#include "db/keyspace.h"
#include "protocol/reply_builder.h"

namespace ember {

namespace cmd_flags {
enum : uint32_t {
  kWrite = 1 << 0,
  kReadOnly = 1 << 1,
  kDenyOom = 1 << 2,
  kAdmin = 1 << 3,
  kPubSub = 1 << 4,
  kNoScript = 1 << 5,
  kBlocking = 1 << 6,
  kLoading = 1 << 7,      // allowed while loading the dataset
  kStale = 1 << 8,        // allowed on a replica with a stale data set
  kSkipMonitor = 1 << 9,
  kSkipSlowlog = 1 << 10,
  kFast = 1 << 11,
  kNoAuth = 1 << 12,      // allowed before AUTH
  kMayReplicate = 1 << 13,
  kNoMandatoryKeys = 1 << 14,
  kNoMulti = 1 << 15,
  kAllowBusy = 1 << 16,
  kMovableKeys = 1 << 17,
  kNoAsyncLoading = 1 << 18,
  kSentinel = 1 << 19,
  kOnlySentinel = 1 << 20,
  kProtected = 1 << 21,
};
}  // namespace cmd_flags

namespace acl_cat {
enum : uint32_t {
  kKeyspace = 1 << 0,
  kRead = 1 << 1,
  kWrite = 1 << 2,
  kSet = 1 << 3,
  kSortedSet = 1 << 4,
  kList = 1 << 5,
  kHash = 1 << 6,
  kString = 1 << 7,
  kBitmap = 1 << 8,
  kHyperLogLog = 1 << 9,
  kGeo = 1 << 10,
  kStream = 1 << 11,
  kPubSub = 1 << 12,
  kAdmin = 1 << 13,
  kFast = 1 << 14,
  kSlow = 1 << 15,
  kBlocking = 1 << 16,
  kDangerous = 1 << 17,
  kConnection = 1 << 18,
  kTransaction = 1 << 19,
  kScripting = 1 << 20,
};
}  // namespace acl_cat

// Names of flags and categories, in the order Redis prints them.
std::vector<std::string_view> FlagNames(uint32_t flags);
std::vector<std::string_view> AclCategoryNames(uint32_t categories);
// Looks up a category by name (without '@'); returns 0 if unknown.
uint32_t AclCategoryByName(std::string_view name);

class CommandContext;
using CommandHandler = void (*)(CommandContext& ctx);

// How long a command's executions took, in fixed buckets of microseconds (the metrics endpoint
// exports it as a Prometheus histogram, cumulating the buckets then). Recording is a few compares
// and two additions: it runs for every command.
struct LatencyHistogram {
  // Inclusive upper bounds of the finite buckets; one more bucket takes the rest (+Inf).
  static constexpr int64_t kBoundsUs[] = {1,   2,    5,    10,   25,    50,    100,    250,
                                          500, 1000, 2500, 5000, 10000, 25000, 100000, 1000000};
  static constexpr size_t kBuckets = sizeof(kBoundsUs) / sizeof(kBoundsUs[0]) + 1;

  uint64_t counts[kBuckets] = {};  // per bucket, not cumulative
  uint64_t sum_us = 0;

  // LATENCY HISTOGRAM reports Redis's buckets: its hdr_histogram (nanoseconds, 2 significant
  // digits, 1 ns .. 1 s) iterated by powers of two from 1024 ns, so bucket k holds durations up
  // to (1024 + 8) * 2^k - 1 ns, reported as that bound in whole microseconds (1, 2, 4, 8, 16,
  // 33, 66, ...).
  static constexpr size_t kLog2Buckets = 21;
  uint64_t log2_counts[kLog2Buckets] = {};
  static constexpr int64_t Log2BucketBoundNs(size_t k) { return (1032LL << k) - 1; }

  void Record(int64_t us) {
    if (us < 0) us = 0;
    size_t i = 0;
    while (i < kBuckets - 1 && us > kBoundsUs[i]) ++i;
    ++counts[i];
    sum_us += static_cast<uint64_t>(us);
    size_t k = 0;
    while (k < kLog2Buckets - 1 && us * 1000 > Log2BucketBoundNs(k)) ++k;
    ++log2_counts[k];
  }
  uint64_t count() const {
    uint64_t n = 0;
    for (uint64_t c : counts) n += c;
    return n;
  }
  void Reset() { *this = LatencyHistogram(); }
};

struct CommandSpec {
  std::string name;  // lower case; subcommands are "container|sub"
  int arity = 0;     // >0 exact argc, <0 at least -arity
  uint32_t flags = 0;
  int first_key = 0;
  int last_key = 0;  // -1: the last argument, -2: the one before, ...
  int key_step = 0;
  uint32_t acl_categories = 0;  // explicit ones; implicit ones are derived from flags
  CommandHandler handler = nullptr;
  std::string group;    // for COMMAND DOCS ("string", "generic", "server", ...)
  std::string summary;  // one line for COMMAND DOCS
  std::string since;

  // Filled at registration.
  std::vector<std::unique_ptr<CommandSpec>> subcommands;
  const CommandSpec* parent = nullptr;

  // Runtime stats (INFO commandstats).
  mutable uint64_t calls = 0;
  mutable uint64_t usec = 0;
  mutable uint64_t rejected_calls = 0;
  mutable uint64_t failed_calls = 0;
  mutable LatencyHistogram latency;  // the metrics endpoint's command_duration_seconds

  bool is(uint32_t f) const { return (flags & f) != 0; }
  // Categories including those Redis derives from flags (@write, @read, @fast/@slow, ...).
  uint32_t AllAclCategories() const;
  // Key argument indexes for argv (empty when the command takes no keys).
  std::vector<int> KeyIndexes(int argc) const;
  const CommandSpec* FindSubcommand(std::string_view name) const;
  // Whether `argc` arguments (the name included) satisfy the arity (negative: at least -arity).
  bool AcceptsArgc(size_t argc) const {
    const int n = static_cast<int>(argc);
    return arity > 0 ? n == arity : n >= -arity;
  }
  // "get", "config|get".
  const std::string& full_name() const { return name; }
};

// Where a command's keys are in its argv: first, last (-1: the last argument, ...) and step, as
// COMMAND INFO reports them. kNoKeys for commands that take none.
struct KeyRange {
  int first = 0;
  int last = 0;
  int step = 0;
};
inline constexpr KeyRange kNoKeys{};

// One entry of the command table, in the order Redis's command table lists its fields. `group`
// and `summary` feed COMMAND DOCS; `acl_categories` are the explicit ones (those implied by the
// flags are added by AllAclCategories). A container's handler may be null.
CommandSpec MakeCommand(std::string name, int arity, uint32_t flags, KeyRange keys,
                        CommandHandler handler, std::string group, uint32_t acl_categories,
                        std::string summary, std::string since);

class CommandTable {
 public:
  static CommandTable& Global();

  // Adds a top-level command; returns it so subcommands can be attached.
  CommandSpec* Add(CommandSpec spec);
  // Adds a subcommand under an existing container ("config" + spec named "get").
  CommandSpec* AddSubcommand(std::string_view container, CommandSpec spec);
  // Renames a command (rename-command), or removes it when new_name is empty.
  bool Rename(std::string_view name, std::string_view new_name);

  const CommandSpec* Find(std::string_view name) const;  // case-insensitive
  // The spec an argv runs: the command, or its subcommand (args[1]) for container commands.
  // Null when either is unknown.
  const CommandSpec* Resolve(std::span<const std::string_view> args) const {
    const CommandSpec* spec = Find(args[0]);
    if (spec && !spec->subcommands.empty() && args.size() >= 2) {
      spec = spec->FindSubcommand(args[1]);
    }
    return spec;
  }
  size_t size() const { return commands_.size(); }
  template <typename F>
  void ForEach(F&& fn) const {
    for (const auto& [name, spec] : commands_) fn(*spec);
  }
  void ResetStats();

 private:
  void Reindex();

  // Owned specs in name order (COMMAND, INFO commandstats), plus a hash index for dispatch.
  std::map<std::string, std::unique_ptr<CommandSpec>, std::less<>> commands_;
  std::unordered_map<std::string_view, CommandSpec*, StringViewHash, std::equal_to<>> index_;
};

// Per-connection state a command may read or change. The server's Connection derives from it.
struct ClientState {
  uint64_t id = 0;
  int db_index = 0;
  int resp = 2;
  bool authenticated = false;
  std::string user = "default";
  std::string name;
  std::string lib_name;
  std::string lib_ver;
  // Set when a command wants the connection closed after its reply is written (QUIT).
  bool close_after_reply = false;
  // CLIENT REPLY: OFF/SKIP suppress replies.
  enum class ReplyMode { kOn, kOff, kSkip, kSkipNext } reply_mode = ReplyMode::kOn;
  bool no_evict = false;
  bool is_master_link = false;   // the replica's connection to its master
  bool is_replica_link = false;  // a replica connected to us (after PSYNC/SYNC)
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  uint64_t flags = 0;
  virtual ~ClientState() = default;
};

// What a handler may ask of the server beyond the keyspace. The server layer implements it.
class ServerServices {
 public:
  virtual ~ServerServices() = default;
  // Upper bound of a string value (proto-max-bulk-len).
  virtual int64_t max_string_len() const = 0;
  // A replica leaves expiry to its master and refuses writes from normal clients, unless
  // writable (replica-read-only no): then its clients' writes delete the expired keys they meet.
  virtual bool is_replica() const = 0;
  virtual bool replica_read_only() const { return true; }
  // After FLUSHALL emptied the keyspace: persistence resets its snapshot (Redis saves an empty
  // RDB when save points are configured).
  virtual void AfterFlushAll() {}
  // Before FLUSHDB (`db`), FLUSHALL (db -1) or SWAPDB a b empties or swaps databases: WATCH and
  // client tracking see the keys that are about to change (Redis's signalFlushedDb).
  virtual void BeforeFlush(int /*db*/) {}
  virtual void BeforeSwapDb(int /*a*/, int /*b*/) {}

  // Keyspace notifications: the notify-keyspace-events classes (common/notify.h) in force, kept
  // here so a command tests them with one AND before anything else.
  int keyspace_events() const { return keyspace_events_; }
  // Publishes `event` for `key` in `db`. Only called when keyspace_events() has `type`.
  virtual void NotifyKeyspaceEvent(int type, std::string_view event, std::string_view key,
                                   int db) {
    (void)type, (void)event, (void)key, (void)db;
  }

 protected:
  int keyspace_events_ = 0;
};

// What a blocking command (BLPOP, BZPOPMIN, ...) asks for when it finds nothing to serve: the
// dispatcher parks the client, and re-runs the same command when one of `keys` is (re)created
// with type `wanted` (in the order clients blocked), or replies a null array at the deadline.
struct BlockRequest {
  std::vector<std::string> keys;
  int64_t deadline_ms = 0;  // wall clock; 0 blocks forever
  ValueType wanted = ValueType::kList;
};

class CommandContext {
 public:
  CommandContext(std::span<const std::string_view> args, const CommandSpec* spec,
                 ReplyBuilder& reply, Keyspace& keyspace, ClientState& client,
                 ServerServices& services, int64_t now_ms)
      : args_(args),
        spec_(spec),
        reply_(reply),
        keyspace_(keyspace),
        client_(client),
        services_(services),
        now_ms_(now_ms) {}

  std::span<const std::string_view> args() const { return args_; }
  std::string_view arg(size_t i) const { return args_[i]; }
  size_t argc() const { return args_.size(); }
  const CommandSpec& spec() const { return *spec_; }

  ReplyBuilder& reply() { return reply_; }
  Keyspace& keyspace() { return keyspace_; }
  Database& db() { return keyspace_.db(client_.db_index); }
  ClientState& client() { return client_; }
  ServerServices& services() { return services_; }
  int64_t now_ms() const { return now_ms_; }

  // Lookups honour expiry as Redis's lookupKey. The stream from our master sees every key (the
  // master decides expiry and sends DEL). Elsewhere a logically expired key is missing: a master
  // deletes it (propagating a DEL), a writable replica too when looking up for a write, and a
  // read-only replica only hides it.
  //
  // LookupRead counts keyspace hits and misses (Redis's lookupKeyRead); LookupWrite does not.
  KeyEntry* LookupRead(std::string_view key);
  KeyEntry* LookupWrite(std::string_view key) { return Lookup(db(), key, /*for_write=*/true); }
  // LookupWrite in another database (COPY and MOVE destinations).
  KeyEntry* LookupWriteIn(Database& db, std::string_view key) {
    return Lookup(db, key, /*for_write=*/true);
  }
  // Adds a key that a lookup just reported missing. On a replica a read lookup only hides a
  // logically expired key, which is overwritten instead of assuming the slot is free.
  KeyEntry* AddNewKey(std::string_view key, Value value);

  // Records that the command changed `n` things (server.dirty). Write commands that change
  // nothing are not propagated.
  void MarkDirty(uint64_t n = 1) {
    keyspace_.dirty += n;
    dirty_ += n;
  }
  uint64_t dirty() const { return dirty_; }

  // Propagate `argv` instead of the command as received (SET EX -> SET PXAT, GETDEL -> DEL).
  // May be called several times; the effects are propagated in order (wrapped in MULTI/EXEC
  // when more than one).
  void Propagate(std::vector<std::string> argv) { effects_.push_back(std::move(argv)); }
  // Propagate nothing even though the command changed the data set.
  void PreventPropagation() { prevent_propagation_ = true; }
  // The effects go to replicas but not to the AOF (PUBLISH: Redis's PROPAGATE_REPL).
  void PropagateToReplicasOnly() { replicas_only_ = true; }
  bool replicas_only() const { return replicas_only_; }
  const std::vector<std::vector<std::string>>& effects() const { return effects_; }
  bool propagation_prevented() const { return prevent_propagation_; }

  // Blocking commands. A handler that finds nothing to serve calls BlockOnKeys when may_block()
  // (not inside MULTI or a script, where blocking commands reply as if they timed out) and
  // returns without replying. When re-run because a key became ready, it either serves (replies
  // and propagates its effect, e.g. LPOP for BLPOP) or calls BlockOnKeys again to keep waiting
  // in its place.
  bool may_block() const { return may_block_; }
  void set_may_block(bool v) { may_block_ = v; }
  void BlockOnKeys(std::vector<std::string> keys, int64_t deadline_ms, ValueType wanted) {
    block_ = BlockRequest{std::move(keys), deadline_ms, wanted};
  }
  const std::optional<BlockRequest>& block_request() const { return block_; }

  // Keyspace notification `event` (a notify:: class `type`) for `key` in the client's database,
  // or in `db` (MOVE, COPY ... DB). Costs one branch when nobody asked for the class.
  void Notify(int type, std::string_view event, std::string_view key) {
    if (services_.keyspace_events() & type) {
      services_.NotifyKeyspaceEvent(type, event, key, client_.db_index);
    }
  }
  void Notify(int type, std::string_view event, std::string_view key, int db) {
    if (services_.keyspace_events() & type) services_.NotifyKeyspaceEvent(type, event, key, db);
  }

  // Replies for a status from a keyspace operation (WRONGTYPE, not an integer, ...).
  void ReplyStatus(OpStatus status);
  void ReplyWrongArity();
  void ReplySyntaxError() { reply_.Error("ERR syntax error"); }

 private:
  KeyEntry* Lookup(Database& db, std::string_view key, bool for_write);

  std::span<const std::string_view> args_;
  const CommandSpec* spec_;
  ReplyBuilder& reply_;
  Keyspace& keyspace_;
  ClientState& client_;
  ServerServices& services_;
  int64_t now_ms_;
  uint64_t dirty_ = 0;
  bool prevent_propagation_ = false;
  bool replicas_only_ = false;
  bool may_block_ = true;
  std::optional<BlockRequest> block_;
  std::vector<std::vector<std::string>> effects_;
};

// Parses a blocking command's timeout (seconds, decimals allowed) into an absolute deadline in
// wall-clock ms (0: forever), replying Redis's error and returning false when it is invalid.
bool ParseBlockingTimeout(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms);

// Every family registers its commands here (see command_families.h).
void RegisterAllCommands(CommandTable& table);

}  // namespace ember
