/** Stats screen: not built yet (see issue 4). */
export function Stats() {
  return (
    <div className="card empty">
      <h1>Stats</h1>
      <p className="muted">This screen is being built.</p>
    </div>
  );
}
