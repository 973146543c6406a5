import { createHash } from 'node:crypto';
import {
  CompactRange,
  consistencyPlan,
  EMPTY_ROOT,
  Hash,
  leafHash,
  leafHashOfText,
  MemoryTree,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from './index';

/*
 * An independent, deliberately naive rendering of RFC 9162 §2.1: every function recomputes
 * MTH from the raw entries, with slices, exactly as the RFC's definitions read. The production
 * code (stored perfect nodes, plans, folds) must agree with it on every tree of size 1..64.
 */
const sha = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const k = (n: number) => {
  let p = 1;
  while (p * 2 < n) p *= 2;
  return p;
};
const MTH = (d: Buffer[]): Buffer => {
  if (d.length === 0) return sha();
  if (d.length === 1) return sha(Buffer.from([0]), d[0] as Buffer);
  const s = k(d.length);
  return sha(Buffer.from([1]), MTH(d.slice(0, s)), MTH(d.slice(s)));
};
const PATH = (m: number, d: Buffer[]): Buffer[] => {
  if (d.length === 1) return [];
  const s = k(d.length);
  return m < s ? [...PATH(m, d.slice(0, s)), MTH(d.slice(s))] : [...PATH(m - s, d.slice(s)), MTH(d.slice(0, s))];
};
const SUBPROOF = (m: number, d: Buffer[], b: boolean): Buffer[] => {
  if (m === d.length) return b ? [] : [MTH(d)];
  const s = k(d.length);
  return m <= s ? [...SUBPROOF(m, d.slice(0, s), b), MTH(d.slice(s))] : [...SUBPROOF(m - s, d.slice(s), false), MTH(d.slice(0, s))];
};
const PROOF = (m: number, d: Buffer[]) => SUBPROOF(m, d, true);

const SIZE_MAX = 64;
// Entries of varied lengths (including empty) so that no two leaves collide by accident.
const entries = Array.from({ length: SIZE_MAX }, (_, i) => Buffer.from(i === 0 ? '' : `entry-${i}-${'x'.repeat(i % 7)}`));
const tree = new MemoryTree();
for (const e of entries) tree.appendEntry(e);
const hex = (h: Uint8Array) => Buffer.from(h).toString('hex');
const flipped = (bytes: Uint8Array, at: number): Buffer => {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
};

describe('RFC 9162 hashing', () => {
  it('hashes the empty tree as SHA-256 of nothing', () => {
    expect(hex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(new MemoryTree().root())).toBe(hex(EMPTY_ROOT));
    expect(hex(new CompactRange().root())).toBe(hex(EMPTY_ROOT));
  });

  it('prefixes leaves with 0x00 and nodes with 0x01', () => {
    const a = Buffer.from('a');
    expect(hex(leafHash(a))).toBe(hex(sha(Buffer.from([0]), a)));
    expect(hex(nodeHash(a, a))).toBe(hex(sha(Buffer.from([1]), a, a)));
  });

  it('hashes 32-byte children through a reused buffer without aliasing earlier results', () => {
    const children = Array.from({ length: 6 }, (_, i) => sha(Buffer.from([i])));
    const parents = [nodeHash(children[0] as Buffer, children[1] as Buffer), nodeHash(children[2] as Buffer, children[3] as Buffer), nodeHash(children[4] as Buffer, children[4] as Buffer)];
    const expected = [sha(Buffer.from([1]), children[0] as Buffer, children[1] as Buffer), sha(Buffer.from([1]), children[2] as Buffer, children[3] as Buffer), sha(Buffer.from([1]), children[4] as Buffer, children[4] as Buffer)];
    expect(parents.map(hex)).toEqual(expected.map(hex));
    // Mixed lengths take the general path and agree with the definition too.
    expect(hex(nodeHash(children[0] as Buffer, Buffer.from('x')))).toBe(hex(sha(Buffer.from([1]), children[0] as Buffer, Buffer.from('x'))));
  });

  it('hashes an entry given as text exactly as its UTF-8 bytes', () => {
    for (const text of ['', '{"a":1}', 'é€😀', '\u0000\u0001', '\ud800 lone', 'tail \udfff', 'x'.repeat(5_000)]) {
      expect(hex(leafHashOfText(text))).toBe(hex(leafHash(Buffer.from(text, 'utf8'))));
      expect(hex(leafHashOfText(text))).toBe(hex(sha(Buffer.from([0]), Buffer.from(text, 'utf8'))));
    }
  });

  it('matches the published RFC 6962 test vectors (certificate-transparency reference data)', () => {
    // The eight leaves and roots used by the CT reference implementations' tests.
    const leaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => Buffer.from(h, 'hex'));
    const roots = [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];
    const t = new MemoryTree();
    leaves.forEach((leaf, i) => {
      t.appendEntry(leaf);
      expect(hex(t.root())).toBe(roots[i]);
    });
  });

  it('computes the same root as the naive recursion for every size 0..64, from stored nodes and from a compact range', () => {
    const compact = new CompactRange();
    for (let n = 0; n <= SIZE_MAX; n++) {
      if (n > 0) compact.append(leafHash(entries[n - 1] as Buffer));
      const expected = hex(MTH(entries.slice(0, n)));
      expect(hex(tree.root(n))).toBe(expected);
      expect(hex(compact.root())).toBe(expected);
    }
  });
});

describe('inclusion proofs (RFC 9162 §2.1.3), every index of every tree of size 1..64', () => {
  it('equal the RFC definition of PATH and verify', () => {
    let checked = 0;
    for (let n = 1; n <= SIZE_MAX; n++) {
      const root = tree.root(n);
      for (let m = 0; m < n; m++) {
        const proof = tree.inclusionProof(m, n);
        expect(proof.map(hex)).toEqual(PATH(m, entries.slice(0, n)).map(hex));
        expect(verifyInclusion(m, n, leafHash(entries[m] as Buffer), proof, root)).toEqual({ ok: true });
        checked++;
      }
    }
    expect(checked).toBe((SIZE_MAX * (SIZE_MAX + 1)) / 2);
  });

  it('fail when any byte of any proof node, of the entry or of the root is flipped, or the path is cut or extended', () => {
    // Plain loops and one assertion at the end: ~400k verifications, jest's expect per case would dominate.
    const accepted: string[] = [];
    const mustFail = (label: string, verdict: { ok: boolean }) => {
      if (verdict.ok) accepted.push(label);
    };
    let cases = 0;
    for (let n = 1; n <= SIZE_MAX; n++) {
      const root = tree.root(n);
      for (let m = 0; m < n; m++) {
        const entry = entries[m] as Buffer;
        const leaf = leafHash(entry);
        const proof = tree.inclusionProof(m, n);
        proof.forEach((node, p) => {
          for (let b = 0; b < node.length; b++) {
            const tampered = proof.map((x, i) => (i === p ? flipped(x, b) : x));
            mustFail(`n=${n} m=${m} proof[${p}] byte ${b}`, verifyInclusion(m, n, leaf, tampered, root));
            cases++;
          }
        });
        for (let b = 0; b < entry.length; b++) mustFail(`n=${n} m=${m} entry byte ${b}`, verifyInclusion(m, n, leafHash(flipped(entry, b)), proof, root));
        // The empty entry has no byte to flip: appending one byte is its tampering.
        mustFail(`n=${n} m=${m} entry extended`, verifyInclusion(m, n, leafHash(Buffer.concat([entry, Buffer.from([0])])), proof, root));
        for (let b = 0; b < root.length; b++) mustFail(`n=${n} m=${m} root byte ${b}`, verifyInclusion(m, n, leaf, proof, flipped(root, b)));
        if (proof.length > 0) mustFail(`n=${n} m=${m} cut`, verifyInclusion(m, n, leaf, proof.slice(0, -1), root));
        mustFail(`n=${n} m=${m} extended`, verifyInclusion(m, n, leaf, [...proof, root], root));
        if (m + 1 < n) mustFail(`n=${n} m=${m} other index`, verifyInclusion(m + 1, n, leaf, proof, root));
        cases += entry.length + root.length + 3;
      }
    }
    expect(accepted).toEqual([]);
    expect(cases).toBeGreaterThan(300_000);
  });

  it('names the failure', () => {
    const root = tree.root(5);
    expect(verifyInclusion(5, 5, leafHash(Buffer.from('x')), [], root)).toMatchObject({ ok: false, failure: 'INDEX_OUT_OF_RANGE' });
    expect(verifyInclusion(0, 1, leafHash(entries[0] as Buffer), [root], tree.root(1))).toMatchObject({ ok: false, failure: 'PATH_TOO_LONG' });
    expect(verifyInclusion(0, 5, leafHash(entries[0] as Buffer), [], root)).toMatchObject({ ok: false, failure: 'PATH_TOO_SHORT' });
    expect(verifyInclusion(0, 5, leafHash(entries[1] as Buffer), tree.inclusionProof(0, 5), root)).toMatchObject({ ok: false, failure: 'ROOT_MISMATCH' });
  });
});

describe('consistency proofs (RFC 9162 §2.1.4), every pair of sizes 1 ≤ m ≤ n ≤ 64', () => {
  it('equal the RFC definition of PROOF and verify', () => {
    for (let n = 1; n <= SIZE_MAX; n++) {
      const second = tree.root(n);
      for (let m = 1; m <= n; m++) {
        const proof = tree.consistencyProof(m, n);
        expect(proof.map(hex)).toEqual(m === n ? [] : PROOF(m, entries.slice(0, n)).map(hex));
        expect(verifyConsistency(m, n, tree.root(m), second, proof)).toEqual({ ok: true });
      }
      expect(verifyConsistency(0, n, EMPTY_ROOT, second, [])).toEqual({ ok: true });
    }
  });

  it('fail when any byte of any proof node or of either root is flipped, or the proof is cut or extended', () => {
    const accepted: string[] = [];
    const mustFail = (label: string, verdict: { ok: boolean }) => {
      if (verdict.ok) accepted.push(label);
    };
    for (let n = 2; n <= SIZE_MAX; n++) {
      const second = tree.root(n);
      for (let m = 1; m < n; m++) {
        const first = tree.root(m);
        const proof = tree.consistencyProof(m, n);
        proof.forEach((node, p) => {
          for (let b = 0; b < node.length; b++) {
            const tampered = proof.map((x, i) => (i === p ? flipped(x, b) : x));
            mustFail(`${m}→${n} proof[${p}] byte ${b}`, verifyConsistency(m, n, first, second, tampered));
          }
        });
        for (let b = 0; b < 32; b++) {
          mustFail(`${m}→${n} first root byte ${b}`, verifyConsistency(m, n, flipped(first, b), second, proof));
          mustFail(`${m}→${n} second root byte ${b}`, verifyConsistency(m, n, first, flipped(second, b), proof));
        }
        mustFail(`${m}→${n} cut`, verifyConsistency(m, n, first, second, proof.slice(0, -1)));
        mustFail(`${m}→${n} extended`, verifyConsistency(m, n, first, second, [...proof, second]));
      }
    }
    expect(accepted).toEqual([]);
  });

  it('detects a changed entry inside the old tree', () => {
    // History rewritten: entry 3 replaced, then the log grew. No proof from the honest 10-leaf
    // root can reach the rewritten 20-leaf root.
    const rewritten = new MemoryTree();
    entries.slice(0, 20).forEach((e, i) => rewritten.appendEntry(i === 3 ? Buffer.from('forged') : e));
    const verdict = verifyConsistency(10, 20, tree.root(10), rewritten.root(20), rewritten.consistencyProof(10, 20));
    expect(verdict.ok).toBe(false);
  });

  it('handles the edge cases the RFC leaves to the implementer', () => {
    expect(consistencyPlan(4, 4)).toEqual([]);
    expect(verifyConsistency(4, 4, tree.root(4), tree.root(4), [])).toEqual({ ok: true });
    expect(verifyConsistency(4, 4, tree.root(4), tree.root(5), [])).toMatchObject({ ok: false, failure: 'ROOT_MISMATCH' });
    expect(verifyConsistency(4, 4, tree.root(4), tree.root(4), [tree.root(4)])).toMatchObject({ ok: false, failure: 'PROOF_NOT_EMPTY' });
    expect(verifyConsistency(5, 4, tree.root(5), tree.root(4), [])).toMatchObject({ ok: false, failure: 'TREE_SIZES_INVALID' });
    expect(verifyConsistency(3, 4, tree.root(3), tree.root(4), [])).toMatchObject({ ok: false, failure: 'EMPTY_PROOF' });
  });
});

describe('large indices', () => {
  it('stays exact past 2^31 (the path arithmetic is not 32-bit)', () => {
    // A single-path check: leaf 2^32 + 5 of a tree of 2^33 + 1 leaves has a path of 34 nodes; the
    // verifier must consume exactly that many.
    const size = 2 ** 33 + 1;
    const index = 2 ** 32 + 5;
    const path: Hash[] = Array.from({ length: 34 }, () => Buffer.alloc(32, 7));
    const verdict = verifyInclusion(index, size, Buffer.alloc(32), path, Buffer.alloc(32));
    expect(verdict).toMatchObject({ ok: false, failure: 'ROOT_MISMATCH' });
    expect(verifyInclusion(index, size, Buffer.alloc(32), path.slice(1), Buffer.alloc(32))).toMatchObject({ failure: 'PATH_TOO_SHORT' });
    expect(verifyInclusion(index, size, Buffer.alloc(32), [...path, Buffer.alloc(32)], Buffer.alloc(32))).toMatchObject({ failure: 'PATH_TOO_LONG' });
  });
});
