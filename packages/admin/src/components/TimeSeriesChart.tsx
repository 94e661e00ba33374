import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  color: string;
  /** Bars for counts per day, a line for averages. */
  kind?: "bars" | "line";
  /** Appended to values in the legend and the data table ("s", "%"). */
  unit?: string;
}

export interface TimeSeriesChartProps {
  /** Accessible name of the chart, and the data table's caption. */
  title: string;
  /** Calendar days, YYYY-MM-DD. */
  days: string[];
  series: ChartSeries[];
  height?: number;
  /** Called once the chart has first been drawn (performance marks). */
  onDrawn?: () => void;
}

const bars = uPlot.paths.bars?.({ size: [0.7, 24], gap: 1 });
const dayToSeconds = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;

/**
 * Daily figures drawn with uPlot (canvas, about 20 kB gzip: the leanest maintained charting
 * library that draws time series well; Recharts or Chart.js cost 3-5x that). Days are shown in
 * UTC, as the server computed them (institution days). Canvas is invisible to screen readers,
 * so the same numbers are offered as a table under the chart.
 */
export default function TimeSeriesChart({ title, days, series, height = 220, onDrawn }: TimeSeriesChartProps) {
  const drawnCallback = useRef(onDrawn);
  drawnCallback.current = onDrawn;
  const container = useRef<HTMLDivElement>(null);
  const [drawn, setDrawn] = useState(false);
  const pointsWithData = series.reduce(
    (count, line) => count + line.values.filter((value) => value !== null && value !== 0).length,
    0,
  );

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const data: uPlot.AlignedData = [days.map(dayToSeconds), ...series.map((line) => line.values)];
    const options: uPlot.Options = {
      width: Math.max(280, element.clientWidth),
      height,
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { stroke: "#4a5568", grid: { stroke: "#e3e7ec" } },
        { stroke: "#4a5568", grid: { stroke: "#e3e7ec" }, size: 50 },
      ],
      series: [
        {},
        ...series.map((line) => ({
          label: line.label,
          stroke: line.color,
          width: line.kind === "bars" ? 0 : 2,
          fill: line.kind === "bars" ? line.color : undefined,
          paths: line.kind === "bars" ? bars : undefined,
          points: { show: line.kind !== "bars" && days.length <= 45 },
          spanGaps: true,
          value: (_self: uPlot, value: number | null) =>
            value === null ? "—" : `${Number.isInteger(value) ? value : value.toFixed(1)}${line.unit ?? ""}`,
        })),
      ],
      hooks: {
        draw: [
          () => {
            setDrawn(true);
            drawnCallback.current?.();
          },
        ],
      },
    };
    const plot = new uPlot(options, data, element);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
      setDrawn(false);
    };
  }, [days, series, height]);

  return (
    <figure className="chart" data-chart={title} data-drawn={drawn} data-points-with-data={pointsWithData}>
      <figcaption>{title}</figcaption>
      <div ref={container} role="img" aria-label={`${title}: chart of ${days.length} days`} />
      <details className="chart-data">
        <summary>Show the numbers</summary>
        <div className="table-scroll">
          <table>
            <caption>{title}</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {series.map((line) => (
                  <th scope="col" key={line.label} className="number">
                    {line.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {days.map((day, index) => (
                <tr key={day}>
                  <th scope="row">{day}</th>
                  {series.map((line) => (
                    <td key={line.label} className="number">
                      {line.values[index] ?? "—"}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
