import type { ReactNode } from "react";

/** One key figure: a big number with its label and an optional note ("this week"). */
export function Figure({ label, value, note }: { label: string; value: ReactNode; note?: ReactNode }) {
  return (
    <div className="figure">
      <div className="figure-value">{value}</div>
      <div className="figure-label">{label}</div>
      {note ? <div className="figure-note">{note}</div> : null}
    </div>
  );
}

export function Figures({ children }: { children: ReactNode }) {
  return <div className="figures">{children}</div>;
}
