/** Logs screen: not built yet (see issue 4). */
export function Logs() {
  return (
    <div className="card empty">
      <h1>Logs</h1>
      <p className="muted">This screen is being built.</p>
    </div>
  );
}
