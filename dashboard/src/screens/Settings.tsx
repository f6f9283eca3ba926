/** Settings screen: not built yet (see issue 4). */
export function Settings() {
  return (
    <div className="card empty">
      <h1>Settings</h1>
      <p className="muted">This screen is being built.</p>
    </div>
  );
}
