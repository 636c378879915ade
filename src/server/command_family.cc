// COMMAND: (no args), COUNT, INFO, DOCS, LIST, GETKEYS, GETKEYSANDFLAGS, HELP — answered from
// the command table, with the interface metadata of server/command_meta.h (tips, key specs,
// argument structure). COMMAND DOCS summaries are Ember's own (CommandSpec::summary); like
// Redis's, the reply has no complexity or history fields when a command has none to give.
#include <fmt/format.h>

#include <algorithm>
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

// Space-separated key spec flags ("RW access update") as a set of simple strings.
void ReplyKeySpecFlags(ReplyBuilder& r, std::string_view flags) {
  std::vector<std::string_view> words;
  while (!flags.empty()) {
    size_t sp = flags.find(' ');
    words.push_back(flags.substr(0, sp));
    if (sp == std::string_view::npos) break;
    flags.remove_prefix(sp + 1);
  }
  r.SetLen(words.size());
  for (std::string_view w : words) r.SimpleString(w);
}

// {"type": type, "spec": {...}}, the caller writing the `spec_fields` pairs of the inner map.
void ReplySearchStep(ReplyBuilder& r, std::string_view type, size_t spec_fields) {
  r.MapLen(2);
  r.Bulk("type");
  r.Bulk(type);
  r.Bulk("spec");
  r.MapLen(spec_fields);
}

void ReplyKeySpec(ReplyBuilder& r, const KeySpecMeta& ks) {
  r.MapLen(3);
  r.Bulk("flags");
  ReplyKeySpecFlags(r, ks.flags);
  r.Bulk("begin_search");
  if (ks.bs_type == KeySpecMeta::kIndex) {
    ReplySearchStep(r, "index", 1);
    r.Bulk("index");
    r.Integer(ks.bs_index);
  } else if (ks.bs_type == KeySpecMeta::kKeyword) {
    ReplySearchStep(r, "keyword", 2);
    r.Bulk("keyword");
    r.Bulk(ks.bs_keyword);
    r.Bulk("startfrom");
    r.Integer(ks.bs_startfrom);
  } else {
    ReplySearchStep(r, "unknown", 0);
  }
  r.Bulk("find_keys");
  if (ks.fk_type == KeySpecMeta::kRange) {
    ReplySearchStep(r, "range", 3);
    r.Bulk("lastkey");
    r.Integer(ks.fk_a);
    r.Bulk("keystep");
    r.Integer(ks.fk_b);
    r.Bulk("limit");
    r.Integer(ks.fk_c);
  } else if (ks.fk_type == KeySpecMeta::kKeynum) {
    ReplySearchStep(r, "keynum", 3);
    r.Bulk("keynumidx");
    r.Integer(ks.fk_a);
    r.Bulk("firstkey");
    r.Integer(ks.fk_b);
    r.Bulk("keystep");
    r.Integer(ks.fk_c);
  } else {
    ReplySearchStep(r, "unknown", 0);
  }
}

void ReplyKeySpecs(ReplyBuilder& r, const CommandSpec& spec, const CommandMeta* meta) {
  if (meta) {
    auto specs = meta->key_specs();
    r.SetLen(specs.size());
    for (const KeySpecMeta& ks : specs) ReplyKeySpec(r, ks);
    return;
  }
  if (spec.first_key <= 0) {
    r.SetLen(0);
    return;
  }
  // A command Redis does not have: one range spec derived from first/last/step.
  KeySpecMeta derived{};
  derived.flags = spec.is(cmd_flags::kWrite) ? "RW update" : "RO access";
  derived.bs_type = KeySpecMeta::kIndex;
  derived.bs_index = spec.first_key;
  derived.fk_type = KeySpecMeta::kRange;
  derived.fk_a = spec.last_key >= 0 ? spec.last_key - spec.first_key : spec.last_key;
  derived.fk_b = spec.key_step;
  derived.fk_c = 0;
  r.SetLen(1);
  ReplyKeySpec(r, derived);
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
  const CommandSpec* spec = CommandTable::Global().Resolve(args);
  if (!spec) return ctx.reply().Error("ERR Invalid command specified");
  const CommandMeta* meta = FindCommandMeta(spec->name);
  // As Redis's doesCommandHaveKeys: a spec that is not "not_key" (shard channels are not).
  bool has_keys = spec->first_key > 0;
  if (meta) {
    auto specs = meta->key_specs();
    has_keys = std::any_of(specs.begin(), specs.end(), [](const KeySpecMeta& ks) {
      return std::string_view(ks.flags) != "not_key";
    });
  }
  if (!has_keys) return ctx.reply().Error("ERR The command has no key arguments");
  if (!spec->AcceptsArgc(args.size())) {
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
    ReplyKeySpecFlags(r, k.flags);
  }
}

void CmdCommandGetKeys(CommandContext& ctx) { GetKeys(ctx, false); }
void CmdCommandGetKeysAndFlags(CommandContext& ctx) { GetKeys(ctx, true); }

void CmdCommandHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
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
  ctx.reply().SimpleStringArray(kLines);
}

}  // namespace

void RegisterCommandFamily(CommandTable& table) {
  using namespace cmd_flags;
  table.Add(MakeCommand("command", -1, kLoading | kStale, kNoKeys, CmdCommand, "server",
                        acl_cat::kConnection, "Describes the commands this server knows.",
                        "2.8.13"));
  auto sub = [&](CommandSpec s) { table.AddSubcommand("command", std::move(s)); };
  sub(MakeCommand("count", 2, kLoading | kStale, kNoKeys, CmdCommandCount, "server",
                  acl_cat::kConnection, "Tells how many commands the server knows.", "2.8.13"));
  sub(MakeCommand("info", -2, kLoading | kStale, kNoKeys, CmdCommandInfo, "server",
                  acl_cat::kConnection,
                  "Describes the named commands, or all of them when none is named.", "2.8.13"));
  sub(MakeCommand(
      "docs", -2, kLoading | kStale, kNoKeys, CmdCommandDocs, "server", acl_cat::kConnection,
      "Gives the documentation entries of the named commands, or of all of them.", "7.0.0"));
  sub(MakeCommand("list", -2, kLoading | kStale, kNoKeys, CmdCommandList, "server",
                  acl_cat::kConnection, "Lists command names, optionally filtered.", "7.0.0"));
  sub(MakeCommand("getkeys", -4, kLoading | kStale, kNoKeys, CmdCommandGetKeys, "server",
                  acl_cat::kConnection, "Finds the key arguments of a complete command line.",
                  "2.8.13"));
  sub(MakeCommand("getkeysandflags", -4, kLoading | kStale, kNoKeys, CmdCommandGetKeysAndFlags,
                  "server", acl_cat::kConnection,
                  "Finds the key arguments of a command line, with their access flags.", "7.0.0"));
  sub(MakeCommand("help", 2, kLoading | kStale, kNoKeys, CmdCommandHelp, "server",
                  acl_cat::kConnection, "Shows how to use the COMMAND subcommands.", "5.0.0"));
}

}  // namespace ember
