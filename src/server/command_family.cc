// COMMAND: (no args), COUNT, INFO, DOCS, LIST, GETKEYS, GETKEYSANDFLAGS, HELP — answered from
// the command table, with the interface metadata of server/command_meta.h (tips, key specs,
// argument structure). COMMAND DOCS summaries are Ember's own (CommandSpec::summary); like
// Redis's, the reply has no complexity or history fields when a command has none to give.
#include <fmt/format.h>

#include <vector>

#include "common/strings.h"
#include "server/command_meta.h"
#include "server/server.h"
#include "server/server_families.h"

namespace ember {

namespace {

// Legacy (first, last, step) as COMMAND INFO reports them.
void ReplyLegacyRange(ReplyBuilder& r, const CommandSpec& spec) {
  r.Integer(spec.first_key);
  r.Integer(spec.last_key);
  r.Integer(spec.key_step);
}

void ReplyKeySpecs(ReplyBuilder& r, const CommandSpec& spec, const CommandMeta* meta) {
  if (meta) {
    auto specs = meta->key_specs();
    r.SetLen(specs.size());
    for (const KeySpecMeta& ks : specs) {
      r.MapLen(3);
      r.Bulk("flags");
      std::vector<std::string_view> flags;
      std::string_view f = ks.flags;
      while (!f.empty()) {
        size_t sp = f.find(' ');
        flags.push_back(f.substr(0, sp));
        if (sp == std::string_view::npos) break;
        f.remove_prefix(sp + 1);
      }
      r.SetLen(flags.size());
      for (auto fl : flags) r.SimpleString(fl);
      r.Bulk("begin_search");
      r.MapLen(2);
      r.Bulk("type");
      if (ks.bs_type == KeySpecMeta::kIndex) {
        r.Bulk("index");
        r.Bulk("spec");
        r.MapLen(1);
        r.Bulk("index");
        r.Integer(ks.bs_index);
      } else if (ks.bs_type == KeySpecMeta::kKeyword) {
        r.Bulk("keyword");
        r.Bulk("spec");
        r.MapLen(2);
        r.Bulk("keyword");
        r.Bulk(ks.bs_keyword);
        r.Bulk("startfrom");
        r.Integer(ks.bs_startfrom);
      } else {
        r.Bulk("unknown");
        r.Bulk("spec");
        r.MapLen(0);
      }
      r.Bulk("find_keys");
      r.MapLen(2);
      r.Bulk("type");
      if (ks.fk_type == KeySpecMeta::kRange) {
        r.Bulk("range");
        r.Bulk("spec");
        r.MapLen(3);
        r.Bulk("lastkey");
        r.Integer(ks.fk_a);
        r.Bulk("keystep");
        r.Integer(ks.fk_b);
        r.Bulk("limit");
        r.Integer(ks.fk_c);
      } else if (ks.fk_type == KeySpecMeta::kKeynum) {
        r.Bulk("keynum");
        r.Bulk("spec");
        r.MapLen(3);
        r.Bulk("keynumidx");
        r.Integer(ks.fk_a);
        r.Bulk("firstkey");
        r.Integer(ks.fk_b);
        r.Bulk("keystep");
        r.Integer(ks.fk_c);
      } else {
        r.Bulk("unknown");
        r.Bulk("spec");
        r.MapLen(0);
      }
    }
    return;
  }
  if (spec.first_key <= 0) {
    r.SetLen(0);
    return;
  }
  // A command Redis does not have: one range spec derived from first/last/step.
  r.SetLen(1);
  r.MapLen(3);
  r.Bulk("flags");
  if (spec.is(cmd_flags::kWrite)) {
    r.SetLen(2);
    r.SimpleString("RW");
    r.SimpleString("update");
  } else {
    r.SetLen(2);
    r.SimpleString("RO");
    r.SimpleString("access");
  }
  r.Bulk("begin_search");
  r.MapLen(2);
  r.Bulk("type");
  r.Bulk("index");
  r.Bulk("spec");
  r.MapLen(1);
  r.Bulk("index");
  r.Integer(spec.first_key);
  r.Bulk("find_keys");
  r.MapLen(2);
  r.Bulk("type");
  r.Bulk("range");
  r.Bulk("spec");
  r.MapLen(3);
  r.Bulk("lastkey");
  r.Integer(spec.last_key >= 0 ? spec.last_key - spec.first_key : spec.last_key);
  r.Bulk("keystep");
  r.Integer(spec.key_step);
  r.Bulk("limit");
  r.Integer(0);
}

void ReplyCommandInfo(ReplyBuilder& r, const CommandSpec& spec) {
  const CommandMeta* meta = FindCommandMeta(spec.name);
  r.ArrayLen(10);
  r.Bulk(spec.name);
  r.Integer(spec.arity);
  auto flags = FlagNames(spec.flags);
  r.SetLen(flags.size());
  for (auto f : flags) r.SimpleString(f);
  ReplyLegacyRange(r, spec);
  auto cats = AclCategoryNames(spec.AllAclCategories());
  r.SetLen(cats.size());
  for (auto c : cats) r.SimpleString(fmt::format("@{}", c));
  std::vector<std::string_view> tips;
  if (meta) tips = meta->tip_list();
  r.SetLen(tips.size());
  for (auto t : tips) r.Bulk(t);
  ReplyKeySpecs(r, spec, meta);
  if (spec.subcommands.empty()) {
    r.SetLen(0);
  } else {
    r.ArrayLen(spec.subcommands.size());
    for (const auto& sub : spec.subcommands) ReplyCommandInfo(r, *sub);
  }
}

void ReplyCommandDocs(ReplyBuilder& r, const CommandSpec& spec) {
  const CommandMeta* meta = FindCommandMeta(spec.name);
  bool subs = !spec.subcommands.empty();
  bool summary = !spec.summary.empty();
  // Field order as Redis sends it: summary, since, group, then the optional ones.
  if (meta) {
    r.MapLen((summary ? 1 : 0) + static_cast<size_t>(meta->num_doc_fields) + (subs ? 1 : 0));
    if (summary) {
      r.Bulk("summary");
      r.Bulk(spec.summary);
    }
    EmitStoredReply(r, meta->docs, 2 * static_cast<size_t>(meta->num_doc_fields));
  } else {
    r.MapLen((summary ? 1 : 0) + 2 + (subs ? 1 : 0));
    if (summary) {
      r.Bulk("summary");
      r.Bulk(spec.summary);
    }
    r.Bulk("since");
    r.Bulk(spec.since);
    r.Bulk("group");
    r.Bulk(spec.group);
  }
  if (subs) {
    r.Bulk("subcommands");
    r.MapLen(spec.subcommands.size());
    for (const auto& sub : spec.subcommands) {
      r.Bulk(sub->name);
      ReplyCommandDocs(r, *sub);
    }
  }
}

// COMMAND INFO/DOCS accept "container|sub" names too.
const CommandSpec* LookupFullName(std::string_view name) {
  size_t bar = name.find('|');
  if (bar == std::string_view::npos) return CommandTable::Global().Find(name);
  const CommandSpec* parent = CommandTable::Global().Find(name.substr(0, bar));
  if (!parent) return nullptr;
  return parent->FindSubcommand(name.substr(bar + 1));
}

void CmdCommand(CommandContext& ctx) {
  ReplyBuilder& r = ctx.reply();
  r.ArrayLen(CommandTable::Global().size());
  CommandTable::Global().ForEach([&](const CommandSpec& spec) { ReplyCommandInfo(r, spec); });
}

void CmdCommandCount(CommandContext& ctx) {
  ctx.reply().Integer(static_cast<int64_t>(CommandTable::Global().size()));
}

void CmdCommandInfo(CommandContext& ctx) {
  if (ctx.argc() == 2) return CmdCommand(ctx);
  ReplyBuilder& r = ctx.reply();
  r.ArrayLen(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    const CommandSpec* spec = LookupFullName(ctx.arg(i));
    if (spec) {
      ReplyCommandInfo(r, *spec);
    } else {
      r.Null();
    }
  }
}

void CmdCommandDocs(CommandContext& ctx) {
  ReplyBuilder& r = ctx.reply();
  if (ctx.argc() == 2) {
    r.MapLen(CommandTable::Global().size());
    CommandTable::Global().ForEach([&](const CommandSpec& spec) {
      r.Bulk(spec.name);
      ReplyCommandDocs(r, spec);
    });
    return;
  }
  std::vector<const CommandSpec*> found;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (const CommandSpec* spec = LookupFullName(ctx.arg(i))) found.push_back(spec);
  }
  r.MapLen(found.size());
  for (const CommandSpec* spec : found) {
    r.Bulk(spec->name);
    ReplyCommandDocs(r, *spec);
  }
}

void CmdCommandList(CommandContext& ctx) {
  enum class Filter { kNone, kModule, kAclCat, kPattern } filter = Filter::kNone;
  std::string_view value;
  if (ctx.argc() == 5 && EqualsIgnoreCase(ctx.arg(2), "filterby")) {
    value = ctx.arg(4);
    if (EqualsIgnoreCase(ctx.arg(3), "module")) {
      filter = Filter::kModule;
    } else if (EqualsIgnoreCase(ctx.arg(3), "aclcat")) {
      filter = Filter::kAclCat;
    } else if (EqualsIgnoreCase(ctx.arg(3), "pattern")) {
      filter = Filter::kPattern;
    } else {
      return ctx.ReplySyntaxError();
    }
  } else if (ctx.argc() != 2) {
    return ctx.ReplySyntaxError();
  }
  uint32_t cat = filter == Filter::kAclCat ? AclCategoryByName(value) : 0;
  std::vector<std::string_view> names;
  auto consider = [&](const CommandSpec& spec) {
    switch (filter) {
      case Filter::kNone:
        break;
      case Filter::kModule:
        return;  // no modules
      case Filter::kAclCat:
        if (!cat || !(spec.AllAclCategories() & cat)) return;
        break;
      case Filter::kPattern:
        if (!GlobMatch(value, spec.name, true)) return;
        break;
    }
    names.push_back(spec.name);
  };
  CommandTable::Global().ForEach([&](const CommandSpec& spec) {
    consider(spec);
    for (const auto& sub : spec.subcommands) consider(*sub);
  });
  ctx.reply().ArrayLen(names.size());
  for (auto n : names) ctx.reply().Bulk(n);
}

void GetKeys(CommandContext& ctx, bool with_flags) {
  auto args = ctx.args().subspan(2);
  const CommandSpec* spec = CommandTable::Global().Find(args[0]);
  if (spec && !spec->subcommands.empty() && args.size() >= 2) {
    spec = spec->FindSubcommand(args[1]);
  }
  if (!spec) return ctx.reply().Error("ERR Invalid command specified");
  const CommandMeta* meta = FindCommandMeta(spec->name);
  bool has_keys = meta ? meta->num_key_specs > 0 : spec->first_key > 0;
  if (!has_keys) return ctx.reply().Error("ERR The command has no key arguments");
  int argc = static_cast<int>(args.size());
  if ((spec->arity > 0 && spec->arity != argc) || argc < -spec->arity) {
    return ctx.reply().Error("ERR Invalid number of arguments specified for command");
  }
  std::vector<KeyRef> keys = ExtractKeys(*spec, args);
  if (keys.empty()) {
    if (spec->is(cmd_flags::kNoMandatoryKeys)) return ctx.reply().ArrayLen(0);
    return ctx.reply().Error("ERR Invalid arguments specified for command");
  }
  ReplyBuilder& r = ctx.reply();
  r.ArrayLen(keys.size());
  for (const KeyRef& k : keys) {
    if (!with_flags) {
      r.Bulk(args[static_cast<size_t>(k.index)]);
      continue;
    }
    r.ArrayLen(2);
    r.Bulk(args[static_cast<size_t>(k.index)]);
    std::vector<std::string_view> flags;
    std::string_view f = k.flags;
    while (!f.empty()) {
      size_t sp = f.find(' ');
      flags.push_back(f.substr(0, sp));
      if (sp == std::string_view::npos) break;
      f.remove_prefix(sp + 1);
    }
    r.SetLen(flags.size());
    for (auto fl : flags) r.SimpleString(fl);
  }
}

void CmdCommandGetKeys(CommandContext& ctx) { GetKeys(ctx, false); }
void CmdCommandGetKeysAndFlags(CommandContext& ctx) { GetKeys(ctx, true); }

void CmdCommandHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Describes every command the server knows.",
      "COUNT",
      "    Tells how many commands the server knows.",
      "LIST",
      "    Lists the names of all commands, subcommands included.",
      "INFO [<command-name> ...]",
      "    Describes the named commands (arity, flags, keys, categories, ...),",
      "    or every command when none is named.",
      "DOCS [<command-name> ...]",
      "    Gives the documentation entry (summary, arguments, ...) of the named",
      "    commands, or of every command when none is named.",
      "GETKEYS <full-command>",
      "    Finds the key arguments of a complete command line.",
      "GETKEYSANDFLAGS <full-command>",
      "    Finds the key arguments of a complete command line, with their access flags.",
      "HELP",
      "    Shows this text.",
  };
  ctx.reply().ArrayLen(std::size(kLines));
  for (const char* line : kLines) ctx.reply().SimpleString(line);
}

}  // namespace

void RegisterCommandFamily(CommandTable& table) {
  using namespace cmd_flags;
  auto spec = [](const char* name, int arity, CommandHandler h, const char* summary,
                 const char* since) {
    CommandSpec s;
    s.name = name;
    s.arity = arity;
    s.flags = kLoading | kStale;
    s.acl_categories = acl_cat::kConnection;
    s.handler = h;
    s.group = "server";
    s.summary = summary;
    s.since = since;
    return s;
  };
  table.Add(spec("command", -1, CmdCommand, "Describes the commands this server knows.", "2.8.13"));
  auto sub = [&](CommandSpec s) { table.AddSubcommand("command", std::move(s)); };
  sub(spec("count", 2, CmdCommandCount, "Tells how many commands the server knows.", "2.8.13"));
  sub(spec("info", -2, CmdCommandInfo,
           "Describes the named commands, or all of them when none is named.", "2.8.13"));
  sub(spec("docs", -2, CmdCommandDocs,
           "Gives the documentation entries of the named commands, or of all of them.", "7.0.0"));
  sub(spec("list", -2, CmdCommandList, "Lists command names, optionally filtered.", "7.0.0"));
  sub(spec("getkeys", -4, CmdCommandGetKeys, "Finds the key arguments of a complete command line.",
           "2.8.13"));
  sub(spec("getkeysandflags", -4, CmdCommandGetKeysAndFlags,
           "Finds the key arguments of a command line, with their access flags.", "7.0.0"));
  sub(spec("help", 2, CmdCommandHelp, "Shows how to use the COMMAND subcommands.", "5.0.0"));
}

}  // namespace ember
