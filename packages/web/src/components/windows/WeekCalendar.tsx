import { DAYS, type Block } from './windows';

const HOURS = [0, 6, 12, 18];

/** A small week (Monday first): green blocks are deploy windows, hatched red blocks freezes. */
export function WeekCalendar({ open, frozen, caption }: { open: Block[]; frozen: Block[]; caption: string }) {
  const top = (minutes: number) => `${(minutes / 1440) * 100}%`;
  const height = (b: Block) => `${((b.end - b.start) / 1440) * 100}%`;
  return (
    <figure style={{ margin: 0 }} aria-label={caption} data-testid="week-calendar">
      <div className="week">
        <div />
        {DAYS.map((d) => (
          <div key={d} className="head">
            {d}
          </div>
        ))}
        <div className="hours" aria-hidden>
          {HOURS.map((h) => (
            <span key={h} style={{ position: 'absolute', top: top(h * 60), right: 4 }}>
              {String(h).padStart(2, '0')}:00
            </span>
          ))}
        </div>
        {DAYS.map((d, day) => (
          <div key={d} className="day">
            {open
              .filter((b) => b.day === day)
              .map((b, i) => (
                <div key={`o${i}`} className="block open" style={{ top: top(b.start), height: height(b) }} title={`open ${b.label}`} />
              ))}
            {frozen
              .filter((b) => b.day === day)
              .map((b, i) => (
                <div key={`f${i}`} className="block frozen" style={{ top: top(b.start), height: height(b) }} title={`frozen: ${b.label}`} />
              ))}
          </div>
        ))}
      </div>
      <figcaption style={{ fontSize: 12, color: 'var(--mantine-color-gray-7)' }}>{caption}</figcaption>
    </figure>
  );
}
