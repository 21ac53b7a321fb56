/**
 * A directed graph laid out by ELK (layered, left to right) and drawn by React Flow: the job graph and the lineage
 * graph. The layout runs again only when the graph's structure changes (not when its colours or figures do), so
 * polling does not move the nodes.
 */
import { Background, Controls, MarkerType, Position, ReactFlow, type Edge, type Node, type ReactFlowInstance } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import ELK from 'elkjs/lib/elk-api.js';
import elkWorkerUrl from 'elkjs/lib/elk-worker.min.js?url';
import { useEffect, useMemo, useRef, useState, type CSSProperties, type ReactNode } from 'react';
import type { ElkInput } from '../jobs/graph-model.ts';

// ELK (1.4 MB) runs in a Web Worker: layouts leave the page responsive, and its script ships as a file of its own
// (not parsed or minified again by the build), fetched on the first graph.
const elk = new ELK({ workerUrl: elkWorkerUrl });
const loadElk = () => Promise.resolve(elk);

export interface FlowNodeLook {
  label: ReactNode;
  style: CSSProperties;
  className?: string;
}

export interface FlowGraphProps {
  input: ElkInput;
  look: (id: string) => FlowNodeLook;
  edgeStyle?: (edge: { id: string; source: string; target: string }) => CSSProperties | undefined;
  selected?: string | null;
  onSelect?: (id: string | null) => void;
  height?: number | string;
}

export function FlowGraph({ input, look, edgeStyle, selected, onSelect, height = 420 }: FlowGraphProps) {
  const structure = useMemo(() => JSON.stringify([input.children.map((c) => [c.id, c.width, c.height]), input.edges.map((e) => e.id)]), [input]);
  const [positions, setPositions] = useState<Map<string, { x: number; y: number }> | null>(null);
  const [layoutError, setLayoutError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const flow = useRef<ReactFlowInstance | null>(null);

  // The graph fits its box again when the box changes size (a side panel opens, the window is resized).
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    // (after React Flow has taken the new size itself: its own observer runs in the same round)
    let timer: ReturnType<typeof setTimeout> | undefined;
    const observer = new ResizeObserver(() => {
      clearTimeout(timer);
      timer = setTimeout(() => void flow.current?.fitView({ padding: 0.15, maxZoom: 1.2 }), 60);
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      clearTimeout(timer);
    };
  }, []);

  useEffect(() => {
    let live = true;
    loadElk().then((e) => e.layout(structuredClone(input))).then(
      (out) => {
        if (!live) return;
        setPositions(new Map((out.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }])));
        setLayoutError(null);
      },
      (e: unknown) => live && setLayoutError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [structure]);

  const nodes: Node[] = useMemo(() => {
    if (positions === null) return [];
    return input.children.map((c) => {
      const l = look(c.id);
      return {
        id: c.id,
        position: positions.get(c.id) ?? { x: 0, y: 0 },
        data: { label: l.label },
        sourcePosition: Position.Right,
        targetPosition: Position.Left,
        selected: selected === c.id,
        className: `flow-node ${l.className ?? ''} ${selected === c.id ? 'is-selected' : ''}`,
        style: { width: c.width, height: c.height, ...l.style },
        draggable: false,
        connectable: false,
      };
    });
  }, [positions, input, look, selected]);

  const edges: Edge[] = useMemo(() => input.edges.map((e) => {
    const edge = { id: e.id, source: e.sources[0]!, target: e.targets[0]! };
    return { ...edge, markerEnd: { type: MarkerType.ArrowClosed, width: 14, height: 14 }, style: { strokeWidth: 1.4, ...edgeStyle?.(edge) } };
  }), [input, edgeStyle]);

  if (layoutError !== null) return <div className="error">layout failed: {layoutError}</div>;
  return (
    <div ref={box} className="flow" style={{ height }} data-testid="flow-graph" data-ready={positions !== null ? 'yes' : 'no'}>
      {positions !== null ? (
        <ReactFlow
          nodes={nodes}
          edges={edges}
          fitView
          fitViewOptions={{ padding: 0.15, maxZoom: 1.2 }}
          minZoom={0.1}
          nodesDraggable={false}
          nodesConnectable={false}
          proOptions={{ hideAttribution: true }}
          onInit={(instance) => { flow.current = instance; }}
          onNodeClick={(_e, n) => onSelect?.(n.id)}
          onPaneClick={() => onSelect?.(null)}
        >
          <Background gap={16} size={1} color="#e6e8eb" />
          <Controls showInteractive={false} />
        </ReactFlow>
      ) : <div className="muted pad">laying out…</div>}
    </div>
  );
}
