import { lazy, Suspense } from "react";
import { Loading } from "./states.tsx";
import type { TimeSeriesChartProps } from "./TimeSeriesChart.tsx";

// uPlot loads with the first chart on screen, not with the app shell and sign-in.
const TimeSeriesChart = lazy(() => import("./TimeSeriesChart.tsx"));

export type { ChartSeries } from "./TimeSeriesChart.tsx";

export function Chart(props: TimeSeriesChartProps) {
  return (
    <Suspense fallback={<Loading>Drawing the chart…</Loading>}>
      <TimeSeriesChart {...props} />
    </Suspense>
  );
}
