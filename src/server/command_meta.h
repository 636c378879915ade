// Interface metadata Ember's command table does not carry itself, generated from a Redis 7.0
// server by scripts/gen_command_meta.py: COMMAND INFO tips and key specs, and the COMMAND DOCS
// fields clients parse (since, group, doc_flags, deprecated_since, replaced_by, arguments). No
// documentation text: summaries come from CommandSpec::summary. Looked up by full name ("get",
// "config|get"); commands Redis does not have get none.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

class ReplyBuilder;
struct CommandSpec;

struct KeySpecMeta {
  enum BeginType { kIndex, kKeyword, kUnknownBegin };
  enum FindType { kRange, kKeynum, kUnknownFind };
  const char* flags;  // space-separated: "RW access update"
  BeginType bs_type;
  int bs_index;
  const char* bs_keyword;
  int bs_startfrom;
  FindType fk_type;
  // range: lastkey, keystep, limit; keynum: keynumidx, firstkey, keystep.
  int fk_a, fk_b, fk_c;
};

struct CommandMeta {
  const char* name;
  const char* tips;  // space-separated
  int first_key_spec;
  int num_key_specs;
  int num_doc_fields;
  // The COMMAND DOCS fields after "summary" (which comes from CommandSpec::summary), as RESP3
  // with '\n' line ends.
  std::string_view docs;

  std::span<const KeySpecMeta> key_specs() const;
  std::vector<std::string_view> tip_list() const;
};

const CommandMeta* FindCommandMeta(std::string_view full_name);

// Emits `n` RESP3-encoded values from `data` (as stored in CommandMeta::docs) through the
// builder, so RESP2 clients get arrays where RESP3 ones get maps and sets.
void EmitStoredReply(ReplyBuilder& reply, std::string_view data, size_t n);

// A key found in a command's arguments, with the flags of the key spec that found it.
struct KeyRef {
  int index;
  const char* flags;  // key spec flags ("RW access update"), "" when derived from first/last/step
};
// Key positions of a request, from the key specs (or the legacy first/last/step range).
std::vector<KeyRef> ExtractKeys(const CommandSpec& spec, std::span<const std::string_view> args);

}  // namespace ember
