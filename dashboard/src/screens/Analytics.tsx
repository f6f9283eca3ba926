/** Analytics screen: not built yet (see issue 4). */
export function Analytics() {
  return (
    <div className="card empty">
      <h1>Analytics</h1>
      <p className="muted">This screen is being built.</p>
    </div>
  );
}
