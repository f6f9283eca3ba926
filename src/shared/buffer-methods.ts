/**
 * Buffer methods for loops that call them once per line, string or value. Each module that uses
 * one takes a module-local reference and calls it with `.call`:
 *
 *   const indexOf = bufferIndexOf;  …  indexOf.call(b, LF, pos)
 *
 * In Node 20, a method read off a Buffer in optimized code (`b.indexOf(LF, pos)`) is looked up
 * anew on every call: callgrind shows the optimized SSE scan calling V8's generic `LoadIC` builtin
 * once per line. A loop of `indexOf` over 60-byte lines, CPU time per call on the 2-core VM:
 * `b.indexOf` 21–22 ns, the module-local reference 12–13 ns, this module's export called as
 * imported 23 ns (an imported binding is not a constant to the compiler). A short `write`:
 * 97 -> 90 ns.
 */
export const bufferIndexOf = Buffer.prototype.indexOf;
export const bufferWrite = Buffer.prototype.write;
export const bufferWriteDoubleLE = Buffer.prototype.writeDoubleLE;
export const bufferReadDoubleLE = Buffer.prototype.readDoubleLE;
export const bufferReadUInt32LE = Buffer.prototype.readUInt32LE;
export const bufferToString = Buffer.prototype.toString;
export const bufferSubarray = Buffer.prototype.subarray;
export const uint8ArraySet = Uint8Array.prototype.set;
