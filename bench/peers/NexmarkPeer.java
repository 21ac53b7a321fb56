// Runs Beam's own Nexmark queries (org.apache.beam:beam-sdks-java-nexmark, from Maven Central) on a Beam runner, in
// batch, the way Beam's Nexmark launcher does: Beam's bounded event source (NexmarkUtils.batchEventsSource, the events
// generated inside the pipeline over numEventGenerators splits), Beam's query transform wrapped in its NexmarkQuery
// (which stamps each result with its timestamp), with Beam's default NexmarkConfiguration and numEvents replaced.
// Used by beam-nexmark.sh (the benchmark peers and the cross-check); this file is Riffle's own driver, not Beam code.
//
//   java -cp <beam jars>:<classes> NexmarkPeer --runner direct|flink --events N --queries 0,1,... [--dump DIR]
//        [--parallelism P] [--enforce] [--streaming [--checkpoint-interval MS --checkpoint-dir DIR]]
//
// --streaming (flink only): Beam's unbounded event source (NexmarkUtils.streamEventsSource, not rate limited, ending
// after N events) on the FlinkRunner in streaming mode, as Beam's Nexmark launcher runs --streaming; with
// --checkpoint-interval MS, Flink checkpoints every MS ms (--checkpointingInterval) into DIR (Flink's filesystem state
// backend, written to disk as Riffle's are); sources shut down once done (--shutdownSourcesAfterIdleMs=0) so that the
// job ends. Flink's CheckpointCoordinator logs each completed checkpoint (size, duration) at INFO. The result adds
// "fromFirstEventSeconds" and "fromFirstEventCpuSeconds": wall and CPU time from the first event out of the source to
// the end (starting the mini cluster and deploying the job excluded).
//
// For each query, one line on stdout:
//   RESULT {"query":q,"events":N,"seconds":s,"eventsPerSec":x,"outputs":n,"cpuSeconds":c}   (or {"query":q,"error":"..."})
// `seconds` is the wall time of run() + waitUntilFinish() of that query's pipeline (pipeline construction and JVM
// start excluded, as Riffle's figure excludes Node's start); `cpuSeconds` the JVM's CPU time over the same span.
// With --dump DIR, every output element of query q is also
// written to DIR/q<q>.jsonl as {"t": timestamp, "w": [start, end] | "global", "p": [index, timing, isFirst, isLast],
// "v": value}, the value's fields by reflection (Instants as epoch millis; an Event as {"type": ..., ...}).
// Each query runs in its own pipeline; beam-nexmark.sh starts one JVM per query so each starts cold, as Riffle's do.
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.nexmark.NexmarkConfiguration;
import org.apache.beam.sdk.nexmark.NexmarkUtils;
import org.apache.beam.sdk.nexmark.model.Event;
import org.apache.beam.sdk.nexmark.model.KnownSize;
import org.apache.beam.sdk.nexmark.queries.NexmarkQuery;
import org.apache.beam.sdk.nexmark.queries.NexmarkQueryTransform;
import org.apache.beam.sdk.nexmark.queries.Query0;
import org.apache.beam.sdk.nexmark.queries.Query1;
import org.apache.beam.sdk.nexmark.queries.Query10;
import org.apache.beam.sdk.nexmark.queries.Query11;
import org.apache.beam.sdk.nexmark.queries.Query12;
import org.apache.beam.sdk.nexmark.queries.Query2;
import org.apache.beam.sdk.nexmark.queries.Query3;
import org.apache.beam.sdk.nexmark.queries.Query4;
import org.apache.beam.sdk.nexmark.queries.Query5;
import org.apache.beam.sdk.nexmark.queries.Query6;
import org.apache.beam.sdk.nexmark.queries.Query7;
import org.apache.beam.sdk.nexmark.queries.Query8;
import org.apache.beam.sdk.nexmark.queries.Query9;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.ReadableInstant;

public class NexmarkPeer {
  static final String NAMESPACE = "riffle-peer";

  public static void main(String[] args) throws Exception {
    String runner = "direct";
    long events = 100_000L;
    List<Integer> queries = new ArrayList<>();
    String dump = null;
    int parallelism = Runtime.getRuntime().availableProcessors();
    boolean enforce = false;
    boolean streaming = false;
    long checkpointInterval = 0;
    String checkpointDir = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runner": runner = args[++i]; break;
        case "--events": events = Long.parseLong(args[++i]); break;
        case "--queries": for (String q : args[++i].split(",")) queries.add(Integer.parseInt(q.trim())); break;
        case "--dump": dump = args[++i]; break;
        case "--parallelism": parallelism = Integer.parseInt(args[++i]); break;
        case "--enforce": enforce = true; break;
        case "--streaming": streaming = true; break;
        case "--checkpoint-interval": checkpointInterval = Long.parseLong(args[++i]); break;
        case "--checkpoint-dir": checkpointDir = args[++i]; break;
        default: throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (queries.isEmpty()) for (int q = 0; q <= 12; q++) queries.add(q);
    if (dump != null) Files.createDirectories(Paths.get(dump));
    for (int q : queries) {
      String line;
      try {
        line = runQuery(runner, q, events, dump, parallelism, enforce, streaming, checkpointInterval, checkpointDir);
      } catch (Throwable t) {
        Throwable root = t;
        while (root.getCause() != null) root = root.getCause();
        t.printStackTrace();
        line = "{\"query\":" + q + ",\"error\":" + str(root.getClass().getSimpleName() + ": " + root.getMessage()) + "}";
      }
      System.out.println("RESULT " + line);
      System.out.flush();
    }
    // The Flink mini cluster and the direct runner's pools may leave non-daemon threads behind.
    System.exit(0);
  }

  static String runQuery(String runner, int q, long events, String dump, int parallelism, boolean enforce, boolean streaming, long checkpointInterval, String checkpointDir) throws IOException {
    if (streaming && !runner.equals("flink")) throw new IllegalArgumentException("--streaming is for --runner flink");
    List<String> opts = new ArrayList<>();
    if (runner.equals("direct")) {
      opts.add("--runner=DirectRunner");
      opts.add("--targetParallelism=" + Math.max(parallelism, 1));
      // The direct runner's checks (every element encoded and decoded, inputs checked for mutation) are on by default;
      // --enforce keeps them. Without it the peer runs at its fastest.
      opts.add("--enforceImmutability=" + enforce);
      opts.add("--enforceEncodability=" + enforce);
    } else if (runner.equals("flink")) {
      opts.add("--runner=FlinkRunner");
      opts.add("--flinkMaster=[local]");
      opts.add("--parallelism=" + parallelism);
      opts.add("--streaming=" + streaming);
      if (streaming) opts.add("--shutdownSourcesAfterIdleMs=0");
      if (checkpointInterval > 0) {
        if (checkpointDir == null) throw new IllegalArgumentException("--checkpoint-interval needs --checkpoint-dir");
        opts.add("--checkpointingInterval=" + checkpointInterval);
        opts.add("--stateBackend=filesystem");
        opts.add("--stateBackendStoragePath=" + Paths.get(checkpointDir).toUri());
      }
    } else {
      throw new IllegalArgumentException("runner must be direct or flink, not " + runner);
    }
    PipelineOptions options = PipelineOptionsFactory.fromArgs(opts.toArray(new String[0])).create();
    NexmarkConfiguration conf = NexmarkConfiguration.DEFAULT.copy();
    conf.numEvents = events;

    Pipeline p = Pipeline.create(options);
    NexmarkUtils.setupPipeline(conf.coderStrategy, p);
    PCollection<Event> source = streaming
        ? p.apply("Query" + q + ".ReadUnbounded", NexmarkUtils.streamEventsSource(conf)).apply("Query" + q + ".MarkFirst", ParDo.of(new MarkFirst()))
        : p.apply("Query" + q + ".ReadBounded", NexmarkUtils.batchEventsSource(conf));
    @SuppressWarnings({"unchecked", "rawtypes"})
    NexmarkQuery<KnownSize> query = new NexmarkQuery(conf, transform(q, conf));
    PCollection<? extends TimestampedValue<KnownSize>> results = source.apply(query);
    String dumpFile = dump == null ? null : Paths.get(dump, "q" + q + ".jsonl").toString();
    if (dumpFile != null) Files.deleteIfExists(Paths.get(dumpFile));
    results.apply("Query" + q + ".Sink", ParDo.of(new Sink(dumpFile)));

    MarkFirst.nanos.set(0);
    long cpu0 = processCpuNanos();
    long t0 = System.nanoTime();
    PipelineResult result = p.run();
    result.waitUntilFinish();
    double seconds = (System.nanoTime() - t0) / 1e9;
    double cpuSeconds = (processCpuNanos() - cpu0) / 1e9;
    String fromFirst = "";
    if (streaming && MarkFirst.nanos.get() != 0) {
      fromFirst = ",\"fromFirstEventSeconds\":" + (System.nanoTime() - MarkFirst.nanos.get()) / 1e9
          + ",\"fromFirstEventCpuSeconds\":" + (processCpuNanos() - MarkFirst.cpuNanos.get()) / 1e9;
    }
    Sink.closeAll();
    long outputs = counter(result, "outputs");
    return "{\"query\":" + q + ",\"events\":" + events + ",\"seconds\":" + seconds + ",\"eventsPerSec\":"
        + Math.round(events / seconds) + ",\"outputs\":" + outputs + ",\"cpuSeconds\":" + cpuSeconds + fromFirst + "}";
  }

  /** The JVM's CPU time (every thread), or 0 where the platform does not report it. */
  static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() : 0;
  }

  static NexmarkQueryTransform<?> transform(int q, NexmarkConfiguration conf) {
    switch (q) {
      case 0: return new Query0();
      case 1: return new Query1(conf);
      case 2: return new Query2(conf);
      case 3: return new Query3(conf);
      case 4: return new Query4(conf);
      case 5: return new Query5(conf);
      case 6: return new Query6(conf);
      case 7: return new Query7(conf);
      case 8: return new Query8(conf);
      case 9: return new Query9(conf);
      case 10: {
        Query10 q10 = new Query10(conf);
        q10.setOutputPath(null); // as Beam's launcher without --outputPath: logs are not written, Done per window
        q10.setMaxNumWorkers(1); // 5 shards, as Riffle's numLogShards default
        return q10;
      }
      case 11: return new Query11(conf);
      case 12: return new Query12(conf);
      default: throw new IllegalArgumentException("no Nexmark query " + q + "; queries are 0-12");
    }
  }

  static long counter(PipelineResult result, String name) {
    try {
      MetricQueryResults m = result.metrics().queryMetrics(
          MetricsFilter.builder().addNameFilter(MetricNameFilter.named(NAMESPACE, name)).build());
      long n = 0;
      for (MetricResult<Long> c : m.getCounters()) {
        Long v;
        try {
          v = c.getCommitted();
        } catch (UnsupportedOperationException e) {
          v = c.getAttempted();
        }
        if (v != null) n += v;
      }
      return n;
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /**
   * Streaming runs: marks when the first event left the source (the mini cluster runs in this JVM), so that a run's
   * time and CPU can be taken from there, without starting the cluster and deploying the job.
   */
  static class MarkFirst extends DoFn<Event, Event> {
    static final java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong();
    static final java.util.concurrent.atomic.AtomicLong cpuNanos = new java.util.concurrent.atomic.AtomicLong();

    @ProcessElement
    public void process(ProcessContext c) {
      if (nanos.get() == 0) {
        cpuNanos.set(processCpuNanos());
        nanos.compareAndSet(0, System.nanoTime());
      }
      c.output(c.element());
    }
  }

  /** Counts the query's outputs and, with a file, writes each one down. */
  static class Sink extends DoFn<TimestampedValue<KnownSize>, Void> {
    private static BufferedWriter writer;
    private static String writerPath;
    private final Counter outputs = Metrics.counter(NAMESPACE, "outputs");
    private final String path;

    Sink(String path) {
      this.path = path;
    }

    @ProcessElement
    public void process(ProcessContext c, BoundedWindow window) throws IOException {
      outputs.inc();
      if (path == null) return;
      StringBuilder sb = new StringBuilder(256);
      sb.append("{\"t\":").append(c.element().getTimestamp().getMillis()).append(",\"w\":");
      if (window instanceof IntervalWindow) {
        IntervalWindow w = (IntervalWindow) window;
        sb.append('[').append(w.start().getMillis()).append(',').append(w.end().getMillis()).append(']');
      } else {
        sb.append("\"global\"");
      }
      PaneInfo pane = c.pane();
      sb.append(",\"p\":[").append(pane.getIndex()).append(",\"").append(pane.getTiming()).append("\",")
          .append(pane.isFirst()).append(',').append(pane.isLast()).append("],\"v\":");
      json(sb, c.element().getValue());
      sb.append("}\n");
      write(path, sb.toString());
    }

    static synchronized void write(String path, String line) throws IOException {
      if (writer == null || !path.equals(writerPath)) {
        if (writer != null) writer.close();
        writer = Files.newBufferedWriter(Paths.get(path), StandardCharsets.UTF_8,
            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        writerPath = path;
      }
      writer.write(line);
    }

    static synchronized void closeAll() throws IOException {
      if (writer != null) writer.close();
      writer = null;
      writerPath = null;
    }
  }

  static void json(StringBuilder sb, Object o) {
    if (o == null) {
      sb.append("null");
    } else if (o instanceof Number || o instanceof Boolean) {
      sb.append(o);
    } else if (o instanceof CharSequence) {
      sb.append(str(o.toString()));
    } else if (o instanceof ReadableInstant) {
      sb.append(((ReadableInstant) o).getMillis());
    } else if (o instanceof Event) {
      Event e = (Event) o;
      if (e.newPerson != null) {
        sb.append("{\"type\":\"person\",\"person\":");
        json(sb, e.newPerson);
      } else if (e.newAuction != null) {
        sb.append("{\"type\":\"auction\",\"auction\":");
        json(sb, e.newAuction);
      } else {
        sb.append("{\"type\":\"bid\",\"bid\":");
        json(sb, e.bid);
      }
      sb.append('}');
    } else {
      sb.append('{');
      boolean first = true;
      Field[] fields = o.getClass().getDeclaredFields();
      Arrays.sort(fields, (a, b) -> a.getName().compareTo(b.getName()));
      for (Field f : fields) {
        if (Modifier.isStatic(f.getModifiers())) continue;
        try {
          f.setAccessible(true);
          Object v = f.get(o);
          if (!first) sb.append(',');
          first = false;
          sb.append(str(f.getName())).append(':');
          json(sb, v);
        } catch (ReflectiveOperationException | RuntimeException ex) {
          // skip what cannot be read
        }
      }
      sb.append('}');
    }
  }

  static String str(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') out.append('\\').append(c);
      else if (c < 0x20 || c > 0x7e) out.append(String.format("\\u%04x", (int) c));
      else out.append(c);
    }
    return out.append('"').toString();
  }
}
