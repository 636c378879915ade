// SLOWLOG (GET, LEN, RESET, HELP), LATENCY (LATEST, HISTORY, GRAPH, RESET, DOCTOR, HISTOGRAM,
// HELP) and MEMORY (USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP), as Redis 7.0.
#include <fmt/format.h>
#include <malloc.h>

#include <cstdlib>

#include "common/clock.h"
#include "common/errors.h"
#include "common/memory.h"
#include "common/sparkline.h"
#include "common/strings.h"
#include "server/info.h"
#include "server/server.h"
#include "server/server_families.h"

namespace ember {

void ReplySubcommandSyntaxError(CommandContext& ctx) {
  std::string container = ctx.spec().parent ? ctx.spec().parent->name : ctx.spec().name;
  ctx.reply().Error(
      fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
                  ctx.arg(1).substr(0, 128), ToUpper(container)));
}

namespace {

// --- SLOWLOG ---------------------------------------------------------------------------------

void CmdSlowlogGet(CommandContext& ctx) {
  if (ctx.argc() > 3) return ReplySubcommandSyntaxError(ctx);
  int64_t count = 10;
  if (ctx.argc() == 3) {
    if (!ParseInt64(ctx.arg(2), &count) || count < -1) {
      return ctx.reply().Error("ERR count should be greater than or equal to -1");
    }
  }
  auto& log = ServerOf(ctx).slowlog();
  size_t n = count == -1 ? log.size() : std::min(log.size(), static_cast<size_t>(count));
  ReplyBuilder& r = ctx.reply();
  r.ArrayLen(n);
  for (size_t i = 0; i < n; ++i) {
    const SlowlogEntry& e = log[i];
    r.ArrayLen(6);
    r.Integer(static_cast<int64_t>(e.id));
    r.Integer(e.time_sec);
    r.Integer(e.duration_us);
    r.ArrayLen(e.args.size());
    for (const auto& a : e.args) r.Bulk(a);
    r.Bulk(e.peer);
    r.Bulk(e.client_name);
  }
}

void CmdSlowlogLen(CommandContext& ctx) {
  ctx.reply().Integer(static_cast<int64_t>(ServerOf(ctx).slowlog().size()));
}

void CmdSlowlogReset(CommandContext& ctx) {
  ServerOf(ctx).slowlog().clear();
  ctx.reply().Ok();
}

void CmdSlowlogHelp(CommandContext& ctx) {
  ctx.reply().SimpleStringArray({
      "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET [<count>]",
      "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
      "    Entries are made of:",
      "    id, timestamp, time in microseconds, arguments array, client IP and port,",
      "    client name",
      "LEN",
      "    Return the length of the slowlog.",
      "RESET",
      "    Reset the slowlog.",
      "HELP",
      "    Prints this help.",
  });
}

// --- LATENCY ---------------------------------------------------------------------------------

void CmdLatencyLatest(CommandContext& ctx) {
  auto& events = ServerOf(ctx).latency_events();
  ReplyBuilder& r = ctx.reply();
  r.ArrayLen(events.size());
  for (const auto& [name, e] : events) {
    r.ArrayLen(4);
    r.Bulk(name);
    r.Integer(e.samples.back().first);
    r.Integer(e.samples.back().second);
    r.Integer(e.max_ms);
  }
}

void CmdLatencyHistory(CommandContext& ctx) {
  auto& events = ServerOf(ctx).latency_events();
  auto it = events.find(std::string(ctx.arg(2)));
  ReplyBuilder& r = ctx.reply();
  if (it == events.end()) return r.ArrayLen(0);
  r.ArrayLen(it->second.samples.size());
  for (const auto& [time, ms] : it->second.samples) {
    r.ArrayLen(2);
    r.Integer(time);
    r.Integer(ms);
  }
}

// The names are matched without regard to case, as Redis's latencyResetEvent.
void CmdLatencyReset(CommandContext& ctx) {
  auto& events = ServerOf(ctx).latency_events();
  int64_t n = 0;
  if (ctx.argc() == 2) {
    n = static_cast<int64_t>(events.size());
    events.clear();
  } else {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      n += static_cast<int64_t>(std::erase_if(
          events, [&](const auto& entry) { return EqualsIgnoreCase(entry.first, ctx.arg(i)); }));
    }
  }
  ctx.reply().Integer(n);
}

// How long ago a sample was taken, as LATENCY GRAPH labels it: "12s", "5m", "3h", "2d".
std::string ElapsedLabel(int64_t elapsed) {
  if (elapsed < 60) return fmt::format("{}s", elapsed);
  if (elapsed < 3600) return fmt::format("{}m", elapsed / 60);
  if (elapsed < 3600 * 24) return fmt::format("{}h", elapsed / 3600);
  return fmt::format("{}d", elapsed / (3600 * 24));
}

// LATENCY GRAPH <event>: Redis's latencyCommandGenSparkeline. A header with the samples' high
// and low and the all-time high, 80 dashes, then a filled 4-row sparkline of the samples (oldest
// first, 80 per block) labelled with their age.
void CmdLatencyGraph(CommandContext& ctx) {
  auto& events = ServerOf(ctx).latency_events();
  auto it = events.find(std::string(ctx.arg(2)));
  if (it == events.end()) {
    return ctx.reply().Error(fmt::format("ERR No samples available for event '{}'", ctx.arg(2)));
  }
  constexpr int kColumns = 80;  // Redis's LATENCY_GRAPH_COLS
  constexpr int kRows = 4;
  const LatencyEvent& e = it->second;
  const int64_t now_sec = WallClockMs() / 1000;
  std::vector<SparklineSample> samples;
  samples.reserve(e.samples.size());
  // Redis keeps the sample values as uint32_t.
  uint32_t high = 0, low = 0;
  for (const auto& [time, ms] : e.samples) {
    const auto value = static_cast<uint32_t>(ms);
    high = samples.empty() ? value : std::max(high, value);
    low = samples.empty() ? value : std::min(low, value);
    samples.push_back({static_cast<double>(value), ElapsedLabel(now_sec - time)});
  }
  std::string graph = fmt::format("{} - high {} ms, low {} ms (all time high {} ms)\n", it->first,
                                  high, low, e.max_ms);
  graph.append(kColumns, '-').push_back('\n');
  RenderSparkline(samples, kColumns, kRows, /*fill=*/true, &graph);
  ctx.reply().Verbatim(graph);
}

// LATENCY DOCTOR: Redis 7.0's createLatencyReport. Each event's statistics (spikes, average,
// mean absolute deviation, mean period between spikes, all-time high), then the advice its
// kind calls for, in Redis's order and words.
std::string LatencyReport(Server& server) {
  const ServerConfig& config = server.config();
  const auto& events = server.latency_events();
  if (events.empty() && config.latency_monitor_threshold == 0) {
    return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis "
           "instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in "
           "order to enable it. If we weren't in a deep space mission I'd suggest to take a look "
           "at https://redis.io/topics/latency-monitor.\n";
  }
  // The advice, in the order it is printed.
  enum Advice {
    kBetterVm,
    kSlowlogEnabled,
    kSlowlogTuning,
    kSlowlogInspect,
    kScheduler,
    kLocalDisk,
    kSsd,
    kDataWriteback,
    kDiskContention,
    kNoAppendfsync,
    kRelaxFsyncPolicy,
    kWriteLoadInfo,
    kHz,
    kLargeObjects,
    kMassEviction,
    kDisableThp,
    kAdviceCount
  };
  bool advise[kAdviceCount] = {};
  int advices = 0;
  auto add = [&](std::initializer_list<Advice> which) {
    for (Advice a : which) advise[a] = true;
    advices += static_cast<int>(which.size());
  };

  std::string report;
  const int64_t now_sec = WallClockMs() / 1000;
  int eventnum = 0;
  for (const auto& [name, e] : events) {
    if (++eventnum == 1) {
      report +=
          "Dave, I have observed latency spikes in this Redis instance. You don't mind talking "
          "about it, do you Dave?\n\n";
    }
    // Redis's analyzeLatencyForEvent: integer average and mean absolute deviation; the period
    // runs from the oldest sample to now (at least one second).
    const auto count = static_cast<int64_t>(e.samples.size());
    uint64_t sum = 0;
    int64_t oldest = e.samples.front().first;
    for (const auto& [time, ms] : e.samples) {
      sum += static_cast<uint64_t>(ms);
      oldest = std::min(oldest, time);
    }
    const auto avg = static_cast<int64_t>(sum / static_cast<uint64_t>(count));
    uint64_t deviation = 0;
    for (const auto& s : e.samples) deviation += static_cast<uint64_t>(std::abs(avg - s.second));
    const int64_t period = std::max<int64_t>(now_sec - oldest, 1);
    report += fmt::format(
        "{}. {}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2f} sec). Worst "
        "all time event {}ms.",
        eventnum, name, count, avg, deviation / static_cast<uint64_t>(count),
        static_cast<double>(period) / static_cast<double>(count), e.max_ms);

    auto is = [&](std::string_view event) { return EqualsIgnoreCase(name, event); };
    if (is("command")) {
      if (config.slowlog_log_slower_than < 0) {
        add({kSlowlogEnabled});
      } else if (config.slowlog_log_slower_than / 1000 > config.latency_monitor_threshold) {
        add({kSlowlogTuning});
      }
      add({kSlowlogInspect, kLargeObjects});
    }
    if (is("fast-command")) add({kScheduler});
    if (is("aof-write-pending-fsync")) add({kLocalDisk, kDiskContention, kSsd, kDataWriteback});
    if (is("aof-write-active-child")) add({kNoAppendfsync, kDataWriteback, kSsd});
    if (is("aof-write-alone")) add({kLocalDisk, kDataWriteback, kSsd});
    if (is("aof-fsync-always")) add({kRelaxFsyncPolicy});
    if (is("aof-fstat") || is("rdb-unlink-temp-file")) add({kDiskContention, kLocalDisk});
    if (is("aof-rewrite-diff-write") || is("aof-rename")) {
      add({kWriteLoadInfo, kDataWriteback, kSsd, kLocalDisk});
    }
    if (is("expire-cycle")) add({kHz, kLargeObjects});
    if (is("eviction-del")) add({kLargeObjects});
    if (is("eviction-cycle")) add({kMassEviction});
    report += '\n';
  }
  if (SmapsFieldBytes("AnonHugePages:") > 0) add({kDisableThp});  // THPGetAnonHugePagesSize

  if (eventnum == 0 && advices == 0) {
    report +=
        "Dave, no latency spike was observed during the lifetime of this Redis instance, not in "
        "the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, "
        "and think things over.\n";
    return report;
  }
  if (advices == 0) {
    report +=
        "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please "
        "use the Redis community to get some help, providing this report in your help "
        "request.\n";
    return report;
  }
  const int64_t slowlog_us = config.latency_monitor_threshold * 1000;
  report += "\nI have a few advices for you:\n\n";
  if (advise[kBetterVm]) {
    report +=
        "- If you are using a virtual machine, consider upgrading it with a faster one using a "
        "hypervisior that provides less latency during fork() calls. Xen is known to have poor "
        "fork() performance. Even in the context of the same VM provider, certain kinds of "
        "instances can execute fork faster than others.\n";
  }
  if (advise[kSlowlogEnabled]) {
    report += fmt::format(
        "- There are latency issues with potentially slow commands you are using. Try to enable "
        "the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {}'. "
        "If the Slow log is disabled Redis is not able to log slow commands execution for "
        "you.\n",
        slowlog_us);
  }
  if (advise[kSlowlogTuning]) {
    report += fmt::format(
        "- Your current Slow Log configuration only logs events that are slower than your "
        "configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than "
        "{}'.\n",
        slowlog_us);
  }
  if (advise[kSlowlogInspect]) {
    report +=
        "- Check your Slow Log to understand what are the commands you are running which are too "
        "slow to execute. Please check https://redis.io/commands/slowlog for more "
        "information.\n";
  }
  if (advise[kScheduler]) {
    report +=
        "- The system is slow to execute Redis code paths not containing system calls. This "
        "usually means the system does not provide Redis CPU time to run for long periods. You "
        "should try to:\n"
        "  1) Lower the system load.\n"
        "  2) Use a computer / VM just for Redis if you are running other software in the same "
        "system.\n"
        "  3) Check if you have a \"noisy neighbour\" problem.\n"
        "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in "
        "your system.\n"
        "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, "
        "if you are using Jemalloc. However this may create fragmentation problems.\n";
  }
  if (advise[kLocalDisk]) {
    report +=
        "- It is strongly advised to use local disks for persistence, especially if you are "
        "using AOF. Remote disks provided by platform-as-a-service providers are known to be "
        "slow.\n";
  }
  if (advise[kSsd]) {
    report +=
        "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting "
        "and AOF log rewriting (resulting in smaller memory usage). With extremely high write "
        "load SSD disks can be a good option. However Redis should perform reasonably with high "
        "load using normal disks. Use this advice as a last resort.\n";
  }
  if (advise[kDataWriteback]) {
    report +=
        "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost "
        "compared to data=ordered, however this mode of operation provides less guarantees, and "
        "sometimes it can happen that after a hard crash the AOF file will have a half-written "
        "command at the end and will require to be repaired before Redis restarts.\n";
  }
  if (advise[kDiskContention]) {
    report +=
        "- Try to lower the disk contention. This is often caused by other disk intensive "
        "processes running in the same computer (including other Redis instances).\n";
  }
  if (advise[kNoAppendfsync]) {
    report +=
        "- Assuming from the point of view of data safety this is viable in your environment, "
        "you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not "
        "be performed while there is a child rewriting the AOF file or producing an RDB file "
        "(the moment where there is high disk contention).\n";
  }
  if (advise[kRelaxFsyncPolicy] && config.appendfsync == "always") {
    report +=
        "- Your fsync policy is set to 'always'. It is very hard to get good performances with "
        "such a setup, if possible try to relax the fsync policy to 'onesec'.\n";
  }
  if (advise[kWriteLoadInfo]) {
    report +=
        "- Latency during the AOF atomic rename operation or when the final difference is "
        "flushed to the AOF file at the end of the rewrite, sometimes is caused by very high "
        "write load, causing the AOF buffer to get very large. If possible try to send less "
        "commands to accomplish the same work, or use Lua scripts to group multiple operations "
        "into a single EVALSHA call.\n";
  }
  if (advise[kHz] && config.hz < 100) {
    report +=
        "- In order to make the Redis keys expiring process more incremental, try to set the "
        "'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n";
  }
  if (advise[kLargeObjects]) {
    report +=
        "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a "
        "blocking operation. If you have very large objects that are often deleted, expired, or "
        "evicted, try to fragment those objects into multiple smaller objects.\n";
  }
  if (advise[kMassEviction]) {
    report +=
        "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large "
        "objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster "
        "large keys migrations (RESTORE command), may create sudden memory pressure forcing the "
        "server to block trying to evict keys. \n";
  }
  if (advise[kDisableThp]) {
    report +=
        "- I detected a non zero amount of anonymous huge pages used by your process. This "
        "creates very serious latency events in different conditions, especially when Redis is "
        "persisting on disk. To disable THP support use the command 'echo never > "
        "/sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into "
        "/etc/rc.local so that the command will be executed again after a reboot. Note that "
        "even if you have already disabled THP, you still need to restart the Redis process to "
        "get rid of the huge pages already created.\n";
  }
  return report;
}

void CmdLatencyDoctor(CommandContext& ctx) { ctx.reply().Verbatim(LatencyReport(ServerOf(ctx))); }

// One command's entry of LATENCY HISTOGRAM: {calls, histogram_usec: {bound: cumulative count}},
// only the buckets where the cumulative count grows, as Redis.
void ReplyLatencyHistogram(ReplyBuilder& r, const CommandSpec& spec) {
  const LatencyHistogram& h = spec.latency;
  r.Bulk(spec.name);
  r.MapLen(2);
  r.Bulk("calls");
  r.Integer(static_cast<int64_t>(h.count()));
  r.Bulk("histogram_usec");
  size_t used = 0;
  for (uint64_t c : h.log2_counts) used += c > 0;
  r.MapLen(used);
  uint64_t cumulative = 0;
  for (size_t k = 0; k < LatencyHistogram::kLog2Buckets; ++k) {
    if (h.log2_counts[k] == 0) continue;
    cumulative += h.log2_counts[k];
    r.Integer(LatencyHistogram::Log2BucketBoundNs(k) / 1000);
    r.Integer(static_cast<int64_t>(cumulative));
  }
}

void CmdLatencyHistogram(CommandContext& ctx) {
  // The commands asked for ("config" stands for its subcommands, "config|get" for one), or all;
  // only those that ran since the last CONFIG RESETSTAT.
  std::vector<const CommandSpec*> specs;
  auto add = [&](const CommandSpec& spec) {
    if (spec.latency.count() > 0) specs.push_back(&spec);
    for (const auto& sub : spec.subcommands) {
      if (sub->latency.count() > 0) specs.push_back(sub.get());
    }
  };
  const CommandTable& table = CommandTable::Global();
  if (ctx.argc() == 2) {
    table.ForEach(add);
  } else {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      const std::string_view name = ctx.arg(i);
      const size_t bar = name.find('|');
      const CommandSpec* spec = table.Find(name.substr(0, bar));
      if (spec && bar != std::string_view::npos) spec = spec->FindSubcommand(name.substr(bar + 1));
      if (spec) add(*spec);
    }
  }
  ctx.reply().MapLen(specs.size());
  for (const CommandSpec* spec : specs) ReplyLatencyHistogram(ctx.reply(), *spec);
}

void CmdLatencyHelp(CommandContext& ctx) {
  ctx.reply().SimpleStringArray({
      "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return a human readable latency analysis report.",
      "GRAPH <event>",
      "    Return an ASCII latency graph for the <event> class.",
      "HISTORY <event>",
      "    Return time-latency samples for the <event> class.",
      "LATEST",
      "    Return the latest latency samples for all events.",
      "RESET [<event> ...]",
      "    Reset latency data of one or more <event> classes.",
      "    (default: reset all data for all event classes)",
      "HISTOGRAM [COMMAND ...]",
      "    Return a cumulative distribution of latencies in the format of a "
      "histogram for the specified command names.",
      "    If no commands are specified then all histograms are replied.",
      "HELP",
      "    Prints this help.",
  });
}

// --- MEMORY ----------------------------------------------------------------------------------

// Memory a key costs in our layout: the key entry (header + key bytes) as the allocator rounds
// it, the value's heap block, the expire entry if any, and its slot in the table's bucket array.
// Redis counts its own structures (dictEntry, robj, sds); the figures are comparable, not equal.
size_t KeyMemoryUsage(KeyEntry* e) {
  size_t n = MemUsableSize(e) + e->value.HeapBytes() + sizeof(void*);
  if (e->has_expire) n += sizeof(ExpireEntry) + sizeof(void*);
  return n;
}

void CmdMemoryUsage(CommandContext& ctx) {
  for (size_t j = 3; j < ctx.argc(); ++j) {
    if (EqualsIgnoreCase(ctx.arg(j), "samples") && j + 1 < ctx.argc()) {
      int64_t samples;
      if (!ParseInt64(ctx.arg(j + 1), &samples)) return ctx.reply().Error(errors::kNotInteger);
      if (samples < 0) return ctx.ReplySyntaxError();
      ++j;
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  // As Redis's objectCommandLookup: counts a hit or miss but does not touch the LRU clock.
  KeyEntry* e = ctx.db().FindRaw(ctx.arg(2));
  if (e && ctx.db().IsExpired(e, ctx.now_ms())) {
    e = ctx.LookupRead(ctx.arg(2));
  } else if (e) {
    ++ctx.keyspace().stats().hits;
  } else {
    ++ctx.keyspace().stats().misses;
  }
  if (!e) return ctx.reply().Null();
  ctx.reply().Integer(static_cast<int64_t>(KeyMemoryUsage(e)));
}

void CmdMemoryStats(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  MemoryOverview m = ComputeMemoryOverview(server);
  auto ratio = [](size_t a, size_t b) {
    return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
  };
  auto diff = [](size_t a, size_t b) { return static_cast<int64_t>(a) - static_cast<int64_t>(b); };
  ReplyBuilder& r = ctx.reply();
  r.MapLen(25 + m.dbs.size());
  auto num = [&](std::string_view k, int64_t v) {
    r.Bulk(k);
    r.Integer(v);
  };
  auto dbl = [&](std::string_view k, double v) {
    r.Bulk(k);
    r.Double(static_cast<double>(static_cast<float>(v)));
  };
  num("peak.allocated", static_cast<int64_t>(m.peak));
  num("total.allocated", static_cast<int64_t>(m.used));
  num("startup.allocated", static_cast<int64_t>(m.startup));
  num("replication.backlog", 0);
  num("clients.slaves", 0);
  num("clients.normal", static_cast<int64_t>(m.clients_normal));
  num("cluster.links", 0);
  num("aof.buffer", 0);
  num("lua.caches", 0);
  num("functions.caches", 0);
  for (const auto& db : m.dbs) {
    r.Bulk(fmt::format("db.{}", db.index));
    r.MapLen(3);
    num("overhead.hashtable.main", static_cast<int64_t>(db.main));
    num("overhead.hashtable.expires", static_cast<int64_t>(db.expires));
    num("overhead.hashtable.slot-to-keys", 0);
  }
  num("overhead.total", static_cast<int64_t>(m.overhead));
  num("keys.count", static_cast<int64_t>(m.keys));
  num("keys.bytes-per-key",
      m.keys ? static_cast<int64_t>((m.used > m.startup ? m.used - m.startup : 0) / m.keys) : 0);
  num("dataset.bytes", static_cast<int64_t>(m.dataset));
  dbl("dataset.percentage", m.dataset_perc);
  dbl("peak.percentage", m.peak_perc);
  num("allocator.allocated", static_cast<int64_t>(m.allocator_allocated));
  num("allocator.active", static_cast<int64_t>(m.allocator_active));
  num("allocator.resident", static_cast<int64_t>(m.allocator_resident));
  dbl("allocator-fragmentation.ratio", ratio(m.allocator_active, m.allocator_allocated));
  num("allocator-fragmentation.bytes", diff(m.allocator_active, m.allocator_allocated));
  dbl("allocator-rss.ratio", ratio(m.allocator_resident, m.allocator_active));
  num("allocator-rss.bytes", diff(m.allocator_resident, m.allocator_active));
  dbl("rss-overhead.ratio", ratio(m.rss, m.allocator_resident));
  num("rss-overhead.bytes", diff(m.rss, m.allocator_resident));
  dbl("fragmentation", ratio(m.rss, m.used));
  num("fragmentation.bytes", diff(m.rss, m.used));
}

void CmdMemoryDoctor(CommandContext& ctx) {
  MemoryOverview m = ComputeMemoryOverview(ServerOf(ctx));
  std::string report;
  if (m.used < 5 * 1024 * 1024) {
    report =
        "Hi Sam, this instance is empty or is using very little memory, my issues detector "
        "can't be used in these conditions. Please, leave for your mission on Earth and fill "
        "it with some data. The new Sam and I will be back to our programming as soon as I "
        "finished rebooting.\n";
  } else {
    report =
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what "
        "occurs on this base.\n";
  }
  ctx.reply().Verbatim(report);
}

void CmdMemoryMallocStats(CommandContext& ctx) {
  ctx.reply().Verbatim("Stats not supported for the current allocator");
}

void CmdMemoryPurge(CommandContext& ctx) {
  malloc_trim(0);
  ctx.reply().Ok();
}

void CmdMemoryHelp(CommandContext& ctx) {
  ctx.reply().SimpleStringArray({
      "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return memory problems reports.",
      "MALLOC-STATS",
      "    Return internal statistics report from the memory allocator.",
      "PURGE",
      "    Attempt to purge dirty pages for reclamation by the allocator.",
      "STATS",
      "    Return information about the memory usage of the server.",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value. Nested values are",
      "    sampled up to <count> times (default: 5, 0 means sample all).",
      "HELP",
      "    Prints this help.",
  });
}

}  // namespace

void RegisterIntrospectionFamily(CommandTable& table) {
  using namespace cmd_flags;
  constexpr uint32_t kAdm = kAdmin | kLoading | kStale;
  constexpr uint32_t kAdmNoScript = kAdmin | kNoScript | kLoading | kStale;

  table.Add(MakeCommand("slowlog", -2, 0, kNoKeys, nullptr, "server", 0,
                        "A container for slow log commands", "2.2.12"));
  table.AddSubcommand("slowlog", MakeCommand("get", -2, kAdm, kNoKeys, CmdSlowlogGet, "server", 0,
                                             "Get the slow log's entries", "2.2.12"));
  table.AddSubcommand("slowlog", MakeCommand("len", 2, kAdm, kNoKeys, CmdSlowlogLen, "server", 0,
                                             "Get the slow log's length", "2.2.12"));
  table.AddSubcommand("slowlog", MakeCommand("reset", 2, kAdm, kNoKeys, CmdSlowlogReset, "server",
                                             0, "Clear all entries from the slow log", "2.2.12"));
  table.AddSubcommand(
      "slowlog", MakeCommand("help", 2, kLoading | kStale, kNoKeys, CmdSlowlogHelp, "server", 0,
                             "Show helpful text about the different subcommands", "6.2.0"));

  table.Add(MakeCommand("latency", -2, 0, kNoKeys, nullptr, "server", 0,
                        "A container for latency diagnostics commands", "2.8.13"));
  table.AddSubcommand("latency",
                      MakeCommand("latest", 2, kAdmNoScript, kNoKeys, CmdLatencyLatest, "server", 0,
                                  "Return the latest latency samples for all events.", "2.8.13"));
  table.AddSubcommand(
      "latency", MakeCommand("history", 3, kAdmNoScript, kNoKeys, CmdLatencyHistory, "server", 0,
                             "Return timestamp-latency samples for the event.", "2.8.13"));
  table.AddSubcommand("latency",
                      MakeCommand("reset", -2, kAdmNoScript, kNoKeys, CmdLatencyReset, "server", 0,
                                  "Reset latency data for one or more events.", "2.8.13"));
  table.AddSubcommand("latency",
                      MakeCommand("graph", 3, kAdmNoScript, kNoKeys, CmdLatencyGraph, "server", 0,
                                  "Return a latency graph for the event.", "2.8.13"));
  table.AddSubcommand("latency",
                      MakeCommand("doctor", 2, kAdmNoScript, kNoKeys, CmdLatencyDoctor, "server", 0,
                                  "Return a human readable latency analysis report.", "2.8.13"));
  table.AddSubcommand("latency", MakeCommand("histogram", -2, kAdmNoScript | kLoading | kStale,
                                             kNoKeys, CmdLatencyHistogram, "server", 0,
                                             "Return the cumulative distribution of latencies of "
                                             "a subset of commands or all commands.",
                                             "7.0.0"));
  table.AddSubcommand(
      "latency", MakeCommand("help", 2, kLoading | kStale, kNoKeys, CmdLatencyHelp, "server", 0,
                             "Show helpful text about the different subcommands.", "2.8.13"));

  table.Add(MakeCommand("memory", -2, 0, kNoKeys, nullptr, "server", 0,
                        "A container for memory diagnostics commands", "4.0.0"));
  table.AddSubcommand("memory",
                      MakeCommand("usage", -3, kReadOnly, {2, 2, 1}, CmdMemoryUsage, "server", 0,
                                  "Estimate the memory usage of a key", "4.0.0"));
  table.AddSubcommand("memory", MakeCommand("stats", 2, 0, kNoKeys, CmdMemoryStats, "server", 0,
                                            "Show memory usage details", "4.0.0"));
  table.AddSubcommand("memory", MakeCommand("doctor", 2, 0, kNoKeys, CmdMemoryDoctor, "server", 0,
                                            "Outputs memory problems report", "4.0.0"));
  table.AddSubcommand("memory", MakeCommand("malloc-stats", 2, 0, kNoKeys, CmdMemoryMallocStats,
                                            "server", 0, "Show allocator internal stats", "4.0.0"));
  table.AddSubcommand("memory", MakeCommand("purge", 2, 0, kNoKeys, CmdMemoryPurge, "server", 0,
                                            "Ask the allocator to release memory", "4.0.0"));
  table.AddSubcommand("memory",
                      MakeCommand("help", 2, kLoading | kStale, kNoKeys, CmdMemoryHelp, "server", 0,
                                  "Show helpful text about the different subcommands", "4.0.0"));
}

}  // namespace ember
