/**
 * The packetdrill-language parser (src/conformance/parser.ts): mutated
 * scripts from our suite either parse or fail with its own error types
 * (ScriptSyntaxError with a line number, ScriptUnsupported), never anything else.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { ScriptUnsupported, parseScript } from '../conformance/parser.js';
import { ScriptSyntaxError } from '../conformance/lexer.js';
import { loadTextFiles, repoRoot } from './corpus.js';
import { check, type FuzzTarget } from './harness.js';

const TOKENS = ['<', '>', 'S.', 'F.', 'R', 'P.', '.', '[', ']', '{', '}', '(', ')', '%{', '}%', '`', '"', ',', ':', '=', '...', '+0', '0x', '-1', '4294967295', 'mss', 'sackOK', 'TS val', 'ecr', 'nop', 'wscale', 'win', 'socket(', 'bind(', 'listen(', 'accept(', 'write(', 'read(', 'close(', '\n', ' ', '--ip_version=ipv4', '// c', '/* c'];

export const scriptTarget: FuzzTarget = {
  name: 'script',
  about: 'packetdrill-language parser: mutated scripts parse or fail with ScriptSyntaxError/ScriptUnsupported only',
  property: () => {
    const seeds = loadTextFiles(join(repoRoot(), 'test', 'conformance', 'scripts'), '.pkt');
    const edit = fc.record({ at: fc.nat(), del: fc.nat(40), ins: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 12 })) });
    return fc.property(fc.nat(), fc.array(edit, { maxLength: 6 }), (pick, edits) => {
      let s = seeds[pick % seeds.length];
      for (const e of edits) {
        const at = e.at % (s.length + 1);
        s = s.slice(0, at) + e.ins + s.slice(at + e.del);
      }
      try {
        parseScript(s);
      } catch (err) {
        check(err instanceof ScriptSyntaxError || err instanceof ScriptUnsupported, 'parser threw a foreign error', String((err as Error)?.stack ?? err));
      }
    });
  },
};
