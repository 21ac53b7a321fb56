/**
 * The harness's log through Beam's Fn API logging service (BeamFnLogging): Beam's process environments discard the
 * harness's stdout and stderr, so its lines go to the runner's log (Flink's task manager log) as LogEntry lists.
 * Every line also goes to stderr (useful when a wrapper keeps it, and when there is no logging endpoint).
 * @example
 *   const log = harnessLogger('worker-1', provision.loggingEndpoint?.url);
 *   log.write('connected');  // … log.close()
 */
import { BeamFnLogging, LogEntry_Severity_Enum } from './gen/fn_execution/v1/beam_fn_api_pb.ts';
import { grpcClient } from './grpc-service.ts';

export interface HarnessLogger {
  write(line: string, severity?: 'info' | 'error'): void;
  close(): void;
}

export function harnessLogger(workerId: string, loggingEndpoint: string | undefined): HarnessLogger {
  const stderr = (line: string) => process.stderr.write(`[riffle harness ${workerId}] ${line}\n`);
  if (loggingEndpoint === undefined || loggingEndpoint === '') return { write: stderr, close: () => undefined };
  const client = grpcClient(BeamFnLogging, loggingEndpoint.replace(/^localhost:/, '127.0.0.1:'), { metadata: { worker_id: workerId } });
  const stream = client.logging();
  let open = true;
  // The runner's log-control answers carry nothing the harness acts on; read them so the stream flows.
  void (async () => {
    try {
      for await (const _ of stream) void _;
    } catch {
      // the runner went away: lines still go to stderr
    }
    open = false;
  })();
  return {
    write(line, severity = 'info') {
      stderr(line);
      if (!open) return;
      const now = Date.now();
      stream.write({
        logEntries: [
          {
            severity: severity === 'error' ? LogEntry_Severity_Enum.ERROR : LogEntry_Severity_Enum.INFO,
            timestamp: { seconds: BigInt(Math.floor(now / 1000)), nanos: (now % 1000) * 1_000_000 },
            message: line,
            logLocation: 'riffle.harness',
          },
        ],
      });
    },
    close() {
      if (open) stream.end();
      open = false;
      client.close();
    },
  };
}
