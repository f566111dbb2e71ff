/**
 * The exact decimal a JSON number was written as: JavaScript prints the shortest round-trip form,
 * with an exponent below 1e-6 or from 1e21, written out here ("2.5e-7" -> "0.00000025"), trailing
 * zeros trimmed. The tests' own reading (not the connector's numberToDecimal), for the fakes' ground
 * truth and the tests that check amounts against it.
 */
export function decimalOf(n: number): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(n));
  if (!m) throw new Error(`not a number: ${n}`);
  const [, sign = '', int = '', frac = '', exp = '0'] = m;
  const digits = int + frac;
  const point = int.length + Number(exp);
  const body =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return sign + (body.includes('.') ? body.replace(/0+$/, '').replace(/\.$/, '') : body);
}
