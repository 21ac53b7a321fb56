/** A job's stderr, followed from the last offset while the job runs (GET /api/jobs/{id}/logs?offset). */
import { useEffect, useRef, useState } from 'react';
import { api, query, seg } from '../api/client.ts';
import type { JobLog } from '../api/types.ts';
import { ErrorBox } from '../components/common.tsx';
import { bytes } from '../lib/format.ts';

const KEEP = 512 * 1024; // characters kept in the page

export function JobLogs({ jobId }: { jobId: string }) {
  const [text, setText] = useState('');
  const [size, setSize] = useState(0);
  const [error, setError] = useState<unknown>(undefined);
  const [complete, setComplete] = useState(false);
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    let live = true;
    let offset = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setText('');
    setComplete(false);
    const poll = async () => {
      try {
        const log = await api<JobLog>('GET', `/api/jobs/${seg(jobId)}/logs${query({ offset, limit: 256 * 1024 })}`);
        if (!live) return;
        offset = log.nextOffset;
        setSize(log.size);
        if (log.text !== '') setText((t) => (t + log.text).slice(-KEEP));
        setComplete(log.complete && log.nextOffset >= log.size);
        setError(undefined);
        if (!(log.complete && log.nextOffset >= log.size)) timer = setTimeout(() => void poll(), log.nextOffset < log.size ? 50 : 1500);
      } catch (e) {
        if (!live) return;
        setError(e);
        timer = setTimeout(() => void poll(), 3000);
      }
    };
    void poll();
    return () => {
      live = false;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [jobId]);

  useEffect(() => {
    const el = box.current;
    if (el !== null && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [text]);

  return (
    <section className="panel">
      <h2>Log <small className="muted">{bytes(size)}{complete ? ' · complete' : ' · following'}</small></h2>
      <ErrorBox error={error} />
      <pre ref={box} className="log" data-testid="job-log">{text === '' ? <span className="muted">(empty)</span> : text}</pre>
    </section>
  );
}
