import { type FormEvent, useEffect, useState } from "react";
import { lastDays } from "../lib/format.ts";

const PRESETS = [7, 30, 90, 365] as const;

export interface DayRange {
  start: string;
  end: string;
}

/** Last 7/30/90/365 days, or any range of calendar days (the server validates it). */
export function RangePicker({ range, onChange }: { range: DayRange; onChange: (range: DayRange) => void }) {
  const [start, setStart] = useState(range.start);
  const [end, setEnd] = useState(range.end);
  useEffect(() => {
    setStart(range.start);
    setEnd(range.end);
  }, [range.start, range.end]);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    onChange({ start, end });
  };
  return (
    <form className="range" onSubmit={apply} aria-label="Date range">
      <fieldset className="presets">
        <legend className="visually-hidden">Last days</legend>
        {PRESETS.map((days) => {
          const preset = lastDays(days);
          const active = preset.start === range.start && preset.end === range.end;
          return (
            <button
              key={days}
              type="button"
              aria-pressed={active}
              className={active ? "active" : undefined}
              onClick={() => onChange(preset)}
            >
              {days === 365 ? "Year" : `${days} days`}
            </button>
          );
        })}
      </fieldset>
      <label>
        From <input type="date" value={start} max={end} required onChange={(event) => setStart(event.target.value)} />
      </label>
      <label>
        To <input type="date" value={end} min={start} required onChange={(event) => setEnd(event.target.value)} />
      </label>
      <button type="submit">Show</button>
    </form>
  );
}
