/** A table of figures described by its columns: the screens say what each column shows, not how a table is marked up. */
import type { HTMLAttributes, ReactNode } from 'react';

export interface Column<R> {
  /** Names the column's body cells (`data-col`), so people and tests can find a figure. */
  id: string;
  header: ReactNode;
  cell: (row: R, index: number) => ReactNode;
  /** Right-aligned with tabular figures (headers too). */
  numeric?: boolean;
  /** Further class of the body cells. */
  className?: string;
  /** The column that names its row: its cells are row headers, read out with every other cell. */
  rowHeader?: boolean;
}

type RowAttributes = HTMLAttributes<HTMLTableRowElement> & { [data: `data-${string}`]: string };

export function DataTable<R>({
  columns,
  rows,
  rowKey,
  rowProps,
  className,
  label,
  labelledBy,
}: {
  /** `false` leaves a column out (e.g. one shown only for some tables). */
  columns: readonly (Column<R> | false)[];
  rows: readonly R[];
  rowKey: (row: R, index: number) => string | number;
  rowProps?: (row: R) => RowAttributes;
  className?: string;
  /** The table's accessible name: a text, or the id of the heading that names it. */
  label?: string;
  labelledBy?: string;
}) {
  const cols = columns.filter((c): c is Column<R> => c !== false);
  return (
    <div className="table-wrap">
      <table className={className} aria-label={label} aria-labelledby={labelledBy}>
        <thead>
          <tr>
            {cols.map((c) => (
              <th scope="col" key={c.id} className={c.numeric ? 'num' : undefined}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={rowKey(r, i)} {...rowProps?.(r)}>
              {cols.map((c) =>
                c.rowHeader ? (
                  <th scope="row" key={c.id}>
                    {c.cell(r, i)}
                  </th>
                ) : (
                  <td
                    key={c.id}
                    className={[c.numeric ? 'num' : '', c.className ?? ''].join(' ').trim() || undefined}
                    data-col={c.id}
                  >
                    {c.cell(r, i)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
