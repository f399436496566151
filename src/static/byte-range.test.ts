import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRange, planRanges } from './byte-range.js';

describe('parseRange: several ranges', () => {
  it('lists the satisfiable ranges in request order', () => {
    assert.deepEqual(parseRange('bytes=0-1, 5-9', 100), {
      kind: 'multiple',
      ranges: [
        { start: 0, end: 1 },
        { start: 5, end: 9 },
      ],
    });
    assert.deepEqual(parseRange('bytes=-10,0-0', 100), {
      kind: 'multiple',
      ranges: [
        { start: 90, end: 99 },
        { start: 0, end: 0 },
      ],
    });
  });

  it('drops unsatisfiable ranges beside satisfiable ones; all unsatisfiable is unsatisfiable', () => {
    assert.deepEqual(parseRange('bytes=200-300,0-4', 100), {
      kind: 'multiple',
      ranges: [{ start: 0, end: 4 }],
    });
    assert.deepEqual(parseRange('bytes=200-300,400-', 100), { kind: 'unsatisfiable' });
  });

  it('ignores the whole header when one spec is invalid', () => {
    assert.deepEqual(parseRange('bytes=0-1,9-2', 100), { kind: 'none' });
  });
});

describe('planRanges', () => {
  it('keeps disjoint ranges as they are, in request order', () => {
    const ranges = [
      { start: 50, end: 59 },
      { start: 0, end: 9 },
    ];
    assert.deepEqual(planRanges(ranges, 100), ranges);
  });

  it('coalesces overlapping and adjacent ranges, at the place of the first of them', () => {
    const planned = planRanges(
      [
        { start: 80, end: 89 },
        { start: 10, end: 19 },
        { start: 20, end: 24 },
        { start: 15, end: 22 },
      ],
      1000,
    );
    assert.deepEqual(planned, [
      { start: 80, end: 89 },
      { start: 10, end: 24 },
    ]);
    assert.deepEqual(
      planRanges(
        [
          { start: 0, end: 1 },
          { start: 2, end: 3 },
        ],
        100,
      ),
      [{ start: 0, end: 3 }],
    );
  });

  it('gives null (whole file) for more ranges than allowed', () => {
    const many = Array.from({ length: 17 }, (_, i) => ({ start: i * 10, end: i * 10 }));
    assert.equal(planRanges(many, 1000), null);
    assert.equal(planRanges(many.slice(0, 16), 1000)?.length, 16);
    assert.equal(planRanges(many.slice(0, 3), 1000, 2), null);
  });

  it('gives null when the ranges add up to more than the file (amplification)', () => {
    assert.equal(
      planRanges(
        [
          { start: 0, end: 99 },
          { start: 0, end: 99 },
        ],
        100,
      ),
      null,
    );
    assert.equal(
      planRanges(
        [
          { start: 0, end: 60 },
          { start: 40, end: 99 },
        ],
        100,
      ),
      null,
    );
    assert.deepEqual(
      planRanges(
        [
          { start: 0, end: 49 },
          { start: 40, end: 49 },
        ],
        100,
      ),
      [{ start: 0, end: 49 }],
    );
  });
});
