#include "server/command_meta.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "commands/command.h"
#include "common/strings.h"
#include "protocol/reply_builder.h"

namespace ember {

namespace {
#include "server/command_meta_data.inc"

// Reads a decimal number up to '\n'; advances `pos` past the newline.
int64_t ReadNumber(std::string_view data, size_t* pos) {
  size_t end = data.find('\n', *pos);
  int64_t v = 0;
  std::from_chars(data.data() + *pos, data.data() + end, v);
  *pos = end + 1;
  return v;
}

void EmitOne(ReplyBuilder& r, std::string_view data, size_t* pos) {
  char type = data[(*pos)++];
  switch (type) {
    case '%': {
      auto n = static_cast<size_t>(ReadNumber(data, pos));
      r.MapLen(n);
      for (size_t i = 0; i < 2 * n; ++i) EmitOne(r, data, pos);
      break;
    }
    case '~':
    case '*': {
      auto n = static_cast<size_t>(ReadNumber(data, pos));
      if (type == '~') {
        r.SetLen(n);
      } else {
        r.ArrayLen(n);
      }
      for (size_t i = 0; i < n; ++i) EmitOne(r, data, pos);
      break;
    }
    case '$': {
      auto n = static_cast<size_t>(ReadNumber(data, pos));
      r.Bulk(data.substr(*pos, n));
      *pos += n + 1;
      break;
    }
    case '+': {
      size_t end = data.find('\n', *pos);
      r.SimpleString(data.substr(*pos, end - *pos));
      *pos = end + 1;
      break;
    }
    case ':':
      r.Integer(ReadNumber(data, pos));
      break;
    default:
      break;
  }
}

}  // namespace

std::span<const KeySpecMeta> CommandMeta::key_specs() const {
  return {kKeySpecs + first_key_spec, static_cast<size_t>(num_key_specs)};
}

std::vector<std::string_view> CommandMeta::tip_list() const {
  std::vector<std::string_view> out;
  std::string_view s = tips;
  while (!s.empty()) {
    size_t sp = s.find(' ');
    out.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

const CommandMeta* FindCommandMeta(std::string_view full_name) {
  auto it = std::lower_bound(
      std::begin(kCommandMetaTable), std::end(kCommandMetaTable), full_name,
      [](const CommandMeta& m, std::string_view name) { return std::string_view(m.name) < name; });
  if (it == std::end(kCommandMetaTable) || it->name != full_name) return nullptr;
  return &*it;
}

void EmitStoredReply(ReplyBuilder& reply, std::string_view data, size_t n) {
  size_t pos = 0;
  for (size_t i = 0; i < n && pos < data.size(); ++i) EmitOne(reply, data, &pos);
}

std::vector<KeyRef> ExtractKeys(const CommandSpec& spec, std::span<const std::string_view> args) {
  std::vector<KeyRef> keys;
  int argc = static_cast<int>(args.size());
  // Commands whose key flags depend on the arguments (Redis's setGetKeys, bitfieldGetKeys).
  if (spec.name == "set" && argc >= 2) {
    for (int i = 3; i < argc; ++i) {
      if (EqualsIgnoreCase(args[static_cast<size_t>(i)], "get")) return {{1, "RW access update"}};
    }
    return {{1, "OW update"}};
  }
  if (spec.name == "bitfield" && argc >= 2) {
    bool readonly = true;
    for (int i = 2; i < argc; ++i) {
      int rem = argc - i - 1;
      std::string_view a = args[static_cast<size_t>(i)];
      if (EqualsIgnoreCase(a, "get") && rem >= 2) {
        i += 2;
      } else if ((EqualsIgnoreCase(a, "set") || EqualsIgnoreCase(a, "incrby")) && rem >= 3) {
        readonly = false;
        break;
      } else if (EqualsIgnoreCase(a, "overflow") && rem >= 1) {
        i += 1;
      } else {
        readonly = false;
        break;
      }
    }
    return {{1, readonly ? "RO access" : "RW access update"}};
  }
  if (spec.name == "sort_ro" && argc >= 2) return {{1, "RO access"}};
  if (spec.name == "sort" && argc >= 2) {
    // Redis's sortGetKeys: the sorted key, and the last STORE destination.
    keys.push_back({1, "RO access"});
    std::optional<KeyRef> store;
    for (int i = 2; i < argc; ++i) {
      std::string_view a = args[static_cast<size_t>(i)];
      if (EqualsIgnoreCase(a, "limit")) {
        i += 2;
      } else if (EqualsIgnoreCase(a, "get") || EqualsIgnoreCase(a, "by")) {
        i += 1;
      } else if (EqualsIgnoreCase(a, "store") && i + 1 < argc) {
        store = KeyRef{i + 1, "OW update"};
      }
    }
    if (store) keys.push_back(*store);
    return keys;
  }
  const CommandMeta* meta = FindCommandMeta(spec.name);
  if (!meta || meta->num_key_specs == 0) {
    for (int i : spec.KeyIndexes(argc)) keys.push_back({i, ""});
    return keys;
  }
  // As Redis's getKeysUsingKeySpecs; an invalid spec makes the whole extraction fail.
  for (const KeySpecMeta& ks : meta->key_specs()) {
    // Shard channels (SPUBLISH, SSUBSCRIBE) are "not_key" specs: no keys for GETKEYS or ACLs.
    if (std::string_view(ks.flags) == "not_key") continue;
    int first = 0, last = 0, step = 1;
    if (ks.bs_type == KeySpecMeta::kIndex) {
      first = ks.bs_index;
    } else if (ks.bs_type == KeySpecMeta::kKeyword) {
      int start = ks.bs_startfrom > 0 ? ks.bs_startfrom : argc + ks.bs_startfrom;
      int end = ks.bs_startfrom > 0 ? argc - 1 : 0;
      for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (EqualsIgnoreCase(args[static_cast<size_t>(i)], ks.bs_keyword)) {
          first = i + 1;
          break;
        }
      }
      if (!first) continue;
    } else {
      return {};
    }
    if (ks.fk_type == KeySpecMeta::kRange) {
      step = ks.fk_b;
      if (ks.fk_a >= 0) {
        last = first + ks.fk_a;
      } else if (!ks.fk_c) {
        last = argc + ks.fk_a;
      } else {
        last = first + ((argc - first) / ks.fk_c + ks.fk_a);
      }
    } else if (ks.fk_type == KeySpecMeta::kKeynum) {
      step = ks.fk_c;
      if (ks.fk_a >= argc - first) return {};
      int64_t numkeys;
      if (!ParseInt64(args[static_cast<size_t>(first + ks.fk_a)], &numkeys) || numkeys < 0) {
        return {};
      }
      first += ks.fk_b;
      last = first + static_cast<int>(numkeys) - 1;
    } else {
      return {};
    }
    if (last >= argc || last < first || first >= argc) return {};
    for (int i = first; i <= last; i += std::max(step, 1)) keys.push_back({i, ks.flags});
  }
  return keys;
}

}  // namespace ember
