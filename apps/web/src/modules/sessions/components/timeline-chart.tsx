"use client";
// The session timeline: one row per participant, one marker per event, time on the x axis (recharts).
import {
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { SessionSnapshot } from "../lib/sessions.ts";

const SERIES: {
  types: string[];
  name: string;
  color: string;
  shape: "circle" | "triangle" | "square" | "diamond" | "cross" | "star";
}[] = [
  { types: ["PARTICIPANT_JOIN"], name: "joined", color: "#1f8a4c", shape: "triangle" },
  { types: ["PARTICIPANT_LEAVE"], name: "left", color: "#c8322f", shape: "triangle" },
  { types: ["ACTIVE_SPEAKER"], name: "speaking", color: "#2d5bd7", shape: "circle" },
  { types: ["VIDEO_ON"], name: "camera on", color: "#16a3a3", shape: "square" },
  { types: ["VIDEO_OFF"], name: "camera off", color: "#8a8a94", shape: "square" },
  { types: ["SHARING_START", "SHARING_STOP"], name: "sharing", color: "#9b51e0", shape: "diamond" },
];
const SESSION_ROW = "session";

export function TimelineChart({ snapshot }: { snapshot: SessionSnapshot }) {
  const rows = [SESSION_ROW, ...snapshot.participants.map((p) => p.zoomUserId)];
  const rowIndex = new Map(rows.map((r, i) => [r, i]));
  const label = (i: number) => {
    const id = rows[i];
    if (id === SESSION_ROW) return "session";
    return snapshot.participants.find((p) => p.zoomUserId === id)?.name ?? id ?? "";
  };
  const point = (e: SessionSnapshot["events"][number]) => ({
    t: Math.max(0, (e.at - snapshot.startedAt) / 1000),
    row: rowIndex.get(e.zoomUserId ?? SESSION_ROW) ?? 0,
    label: e.label,
  });
  const known = new Set(SERIES.flatMap((s) => s.types));
  const other = snapshot.events.filter((e) => !known.has(e.type)).map(point);
  const height = Math.max(180, 60 + rows.length * 34);
  return (
    <div className="chart" data-testid="timeline-chart">
      <ResponsiveContainer width="100%" height={height}>
        <ScatterChart margin={{ top: 10, right: 20, bottom: 20, left: 20 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            type="number"
            dataKey="t"
            name="time"
            unit=" s"
            domain={[0, "dataMax"]}
            allowDecimals={false}
          />
          <YAxis
            type="number"
            dataKey="row"
            name="participant"
            domain={[-0.5, rows.length - 0.5]}
            ticks={rows.map((_, i) => i)}
            tickFormatter={label}
            width={140}
            reversed
          />
          <Tooltip
            cursor={{ strokeDasharray: "3 3" }}
            content={({ payload }) => {
              const p = payload?.[0]?.payload as { t: number; label: string } | undefined;
              return p ? (
                <div className="panel small">
                  {p.label} at {p.t.toFixed(1)} s
                </div>
              ) : null;
            }}
          />
          <Legend />
          {SERIES.map((s) => (
            <Scatter
              key={s.name}
              name={s.name}
              data={snapshot.events.filter((e) => s.types.includes(e.type)).map(point)}
              fill={s.color}
              shape={s.shape}
              isAnimationActive={false}
            />
          ))}
          {other.length > 0 ? (
            <Scatter name="session" data={other} fill="#b36b00" shape="star" isAnimationActive={false} />
          ) : null}
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}
