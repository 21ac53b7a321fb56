// Prints events made by Beam's own Nexmark generator classes as JSON Lines, in the shape of Riffle's NexmarkEvent
// plus the event timestamp (and, for the sequential mode, the generator's watermark). Used only to build the fixtures
// that test/nexmark/generator.test.ts compares Riffle's generator against; see beam-nexmark-fixture.sh.
//
//   java -cp <beam jars>:. DumpEvents sequential <numEvents>   one Generator over the standard config
//   java -cp <beam jars>:. DumpEvents batch <numEvents>        BoundedEventSource split into numEventGenerators
// The batch mode writes each `extra` as its length only ("extraLength"), to keep that fixture small: the padding's
// content is already checked by the sequential fixture, and the batch one is about ids, timestamps and splits.
import java.util.List;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.nexmark.NexmarkConfiguration;
import org.apache.beam.sdk.nexmark.model.Auction;
import org.apache.beam.sdk.nexmark.model.Bid;
import org.apache.beam.sdk.nexmark.model.Event;
import org.apache.beam.sdk.nexmark.model.Person;
import org.apache.beam.sdk.nexmark.sources.BoundedEventSource;
import org.apache.beam.sdk.nexmark.sources.generator.Generator;
import org.apache.beam.sdk.nexmark.sources.generator.GeneratorConfig;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

public class DumpEvents {
  // NexmarkUtils keeps its base time private; this is the same instant (2015-07-15T00:00:00Z).
  static final long BASE_TIME = org.joda.time.Instant.parse("2015-07-15T00:00:00.000Z").getMillis();

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "sequential";
    long numEvents = args.length > 1 ? Long.parseLong(args[1]) : 10_000L;
    NexmarkConfiguration conf = NexmarkConfiguration.DEFAULT.copy();
    conf.numEvents = numEvents;
    GeneratorConfig config = new GeneratorConfig(conf, BASE_TIME, 0, conf.numEvents, 0);
    StringBuilder out = new StringBuilder(1 << 16);
    java.io.PrintStream stdout = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, "UTF-8");
    if (mode.equals("sequential")) {
      Generator generator = new Generator(config);
      while (generator.hasNext()) {
        Generator.NextEvent next = generator.nextEvent();
        out.setLength(0);
        event(out, next.event, true);
        out.append(",\"eventTimestamp\":").append(next.eventTimestamp);
        out.append(",\"watermark\":").append(next.watermark).append('}');
        stdout.println(out);
      }
    } else if (mode.equals("batch")) {
      PipelineOptions options = PipelineOptionsFactory.create();
      List<BoundedEventSource> parts = new BoundedEventSource(config, conf.numEventGenerators).split(0, options);
      for (int i = 0; i < parts.size(); i++) {
        try (BoundedSource.BoundedReader<Event> reader = parts.get(i).createReader(options)) {
          for (boolean more = reader.start(); more; more = reader.advance()) {
            out.setLength(0);
            event(out, reader.getCurrent(), false);
            out.append(",\"eventTimestamp\":").append(reader.getCurrentTimestamp().getMillis());
            out.append(",\"split\":").append(i).append('}');
            stdout.println(out);
          }
        }
      }
    } else {
      throw new IllegalArgumentException("mode must be sequential or batch, not " + mode);
    }
    stdout.flush();
  }

  static void event(StringBuilder out, Event e, boolean withExtra) {
    if (e.newPerson != null) {
      Person p = e.newPerson;
      out.append("{\"type\":\"person\",\"person\":{");
      num(out, "id", p.id).append(',');
      str(out, "name", p.name).append(',');
      str(out, "emailAddress", p.emailAddress).append(',');
      str(out, "creditCard", p.creditCard).append(',');
      str(out, "city", p.city).append(',');
      str(out, "state", p.state).append(',');
      num(out, "dateTime", p.dateTime.getMillis()).append(',');
      extra(out, p.extra, withExtra).append('}');
    } else if (e.newAuction != null) {
      Auction a = e.newAuction;
      out.append("{\"type\":\"auction\",\"auction\":{");
      num(out, "id", a.id).append(',');
      str(out, "itemName", a.itemName).append(',');
      str(out, "description", a.description).append(',');
      num(out, "initialBid", a.initialBid).append(',');
      num(out, "reserve", a.reserve).append(',');
      num(out, "dateTime", a.dateTime.getMillis()).append(',');
      num(out, "expires", a.expires.getMillis()).append(',');
      num(out, "seller", a.seller).append(',');
      num(out, "category", a.category).append(',');
      extra(out, a.extra, withExtra).append('}');
    } else {
      Bid b = e.bid;
      out.append("{\"type\":\"bid\",\"bid\":{");
      num(out, "auction", b.auction).append(',');
      num(out, "bidder", b.bidder).append(',');
      num(out, "price", b.price).append(',');
      num(out, "dateTime", b.dateTime.getMillis()).append(',');
      extra(out, b.extra, withExtra).append('}');
    }
  }

  static StringBuilder extra(StringBuilder out, String value, boolean withExtra) {
    return withExtra ? str(out, "extra", value) : num(out, "extraLength", value.length());
  }

  static StringBuilder num(StringBuilder out, String name, long value) {
    return out.append('"').append(name).append("\":").append(value);
  }

  static StringBuilder str(StringBuilder out, String name, String value) {
    out.append('"').append(name).append("\":\"");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c > 0x7e) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"');
  }
}
