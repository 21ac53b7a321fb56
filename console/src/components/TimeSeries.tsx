/**
 * A small line chart (uPlot) of one or more series over time: a step's throughput and watermark lag. Data are
 * `[times in seconds, ...series]`, nulls for gaps.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface SeriesSpec {
  label: string;
  stroke: string;
  /** The value's text in the legend. */
  format: (v: number | null) => string;
}

export function TimeSeries({ data, series, width = 360, height = 140, title }: { data: Array<Array<number | null>>; series: SeriesSpec[]; width?: number; height?: number; title: string }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => s.label).join('|');

  useEffect(() => {
    if (el.current === null) return;
    const opts: uPlot.Options = {
      title, width, height,
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: { x: { time: true } },
      axes: [
        { stroke: '#5f6b7a', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#d5d9df' }, font: '11px system-ui' },
        { stroke: '#5f6b7a', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#d5d9df' }, font: '11px system-ui', size: 56, values: (_u, vals) => vals.map((v) => series[0]!.format(v)) },
      ],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 1.6, fill: `${s.stroke}18`, spanGaps: false, value: (_u: uPlot, v: number | null) => s.format(v) }))],
    };
    plot.current = new uPlot(opts, data as uPlot.AlignedData, el.current);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape, width, height, title]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  return <div ref={el} className="chart" />;
}
