import { InputError } from "@sam-repro/runner";
import { SeededRandom } from "@sam-repro/runtime";

/**
 * A regression problem for the diagonal linear network: training rows X (n x d, row-major), targets y,
 * and a test set of the same dimension. `betaStar` is the planted predictor when the problem was generated.
 */
export interface RegressionProblem {
  n: number;
  d: number;
  nTest: number;
  /** Row-major n x d. */
  X: Float64Array;
  y: Float64Array;
  /** Row-major nTest x d. */
  Xtest: Float64Array;
  ytest: Float64Array;
  betaStar?: Float64Array;
}

export interface SparseRegressionOptions {
  n: number;
  d: number;
  /** Number of non-zero coordinates of beta*. */
  r: number;
  nTest: number;
  seed: number;
}

/**
 * Sparse noiseless regression of SPEC 2.1: rows of X and X_test ~ N(0, I_d), beta* = |z| / ||z||_2 on its
 * first r coordinates (z ~ N(0, I_d), the other coordinates set to 0), y = X beta*, y_test = X_test beta*.
 * Draw order follows the notebook: X, then X_test, then z (our generator is not NumPy's, so the draws differ).
 */
export function generateSparseRegression(options: SparseRegressionOptions): RegressionProblem {
  const { n, d, r, nTest, seed } = options;
  for (const [name, value] of Object.entries({ n, d, r, nTest })) {
    if (!Number.isInteger(value) || value < 1) throw new InputError(`${name}: expected a positive integer, got ${value}`);
  }
  if (r > d) throw new InputError(`r: the sparsity ${r} exceeds the dimension d = ${d}`);
  const random = new SeededRandom(seed);
  const X = random.fillNormal(new Float64Array(n * d)) as Float64Array;
  const Xtest = random.fillNormal(new Float64Array(nTest * d)) as Float64Array;
  const betaStar = random.fillNormal(new Float64Array(d)) as Float64Array;
  let norm = 0;
  for (let j = 0; j < d; j++) {
    betaStar[j] = j < r ? Math.abs(betaStar[j]!) : 0;
    norm += betaStar[j]! * betaStar[j]!;
  }
  norm = Math.sqrt(norm);
  for (let j = 0; j < r; j++) betaStar[j]! /= norm;
  return { n, d, nTest, X, y: multiply(X, n, d, betaStar), Xtest, ytest: multiply(Xtest, nTest, d, betaStar), betaStar };
}

/** y = A x for a row-major rows x d matrix A. */
export function multiply(A: Float64Array, rows: number, d: number, x: Float64Array): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    const offset = i * d;
    for (let j = 0; j < d; j++) sum += A[offset + j]! * x[j]!;
    out[i] = sum;
  }
  return out;
}

/** Squared loss ||A beta - b||^2 / (2 rows) of SPEC 1.5 (train and test use the same formula). */
export function squaredLoss(A: Float64Array, b: Float64Array, beta: Float64Array): number {
  const rows = b.length;
  const d = beta.length;
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    let prediction = 0;
    const offset = i * d;
    for (let j = 0; j < d; j++) prediction += A[offset + j]! * beta[j]!;
    const residual = prediction - b[i]!;
    sum += residual * residual;
  }
  return sum / (2 * rows);
}

/**
 * Validates a user problem `{"X": [[...]], "y": [...], "Xtest": [[...]], "ytest": [...]}` and converts it
 * to Float64Arrays. Errors (InputError) name the source, the field and what is wrong: ragged rows,
 * mismatched lengths, non-finite entries, missing fields.
 */
export function parseProblem(raw: unknown, source: string): RegressionProblem {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new InputError(`${source}: expected a JSON object with fields X, y, Xtest, ytest`);
  }
  const record = raw as Record<string, unknown>;
  const unknownFields = Object.keys(record).filter((key) => !["X", "y", "Xtest", "ytest", "betaStar"].includes(key));
  if (unknownFields.length) {
    throw new InputError(`${source}: unknown field(s) ${unknownFields.join(", ")}; allowed: X, y, Xtest, ytest, betaStar`);
  }
  const train = readMatrix(record.X, "X", source);
  const test = readMatrix(record.Xtest, "Xtest", source);
  if (test.columns !== train.columns) {
    throw new InputError(`${source}: Xtest: rows have ${test.columns} entries but rows of X have ${train.columns}`);
  }
  const y = readVector(record.y, "y", source, train.rows, "the number of rows of X");
  const ytest = readVector(record.ytest, "ytest", source, test.rows, "the number of rows of Xtest");
  const problem: RegressionProblem = { n: train.rows, d: train.columns, nTest: test.rows, X: train.values, y, Xtest: test.values, ytest };
  if (record.betaStar !== undefined) {
    problem.betaStar = readVector(record.betaStar, "betaStar", source, train.columns, "the number of columns of X");
  }
  return problem;
}

function readMatrix(value: unknown, field: string, source: string): { rows: number; columns: number; values: Float64Array } {
  if (value === undefined) throw new InputError(`${source}: ${field}: missing (expected an array of rows)`);
  if (!Array.isArray(value) || value.length === 0) {
    throw new InputError(`${source}: ${field}: expected a non-empty array of rows, got ${describe(value)}`);
  }
  const first = value[0];
  if (!Array.isArray(first) || first.length === 0) {
    throw new InputError(`${source}: ${field}[0]: expected a non-empty array of numbers, got ${describe(first)}`);
  }
  const columns = first.length;
  const values = new Float64Array(value.length * columns);
  value.forEach((row: unknown, i) => {
    if (!Array.isArray(row)) throw new InputError(`${source}: ${field}[${i}]: expected an array of numbers, got ${describe(row)}`);
    if (row.length !== columns) {
      throw new InputError(
        `${source}: ${field}[${i}]: ragged matrix: row has ${row.length} entries, row 0 has ${columns} (all rows must have the same length)`,
      );
    }
    row.forEach((entry: unknown, j) => {
      if (typeof entry !== "number" || !Number.isFinite(entry)) {
        throw new InputError(`${source}: ${field}[${i}][${j}]: expected a finite number, got ${describe(entry)}`);
      }
      values[i * columns + j] = entry;
    });
  });
  return { rows: value.length, columns, values };
}

function readVector(value: unknown, field: string, source: string, expectedLength: number, lengthMeaning: string): Float64Array {
  if (value === undefined) throw new InputError(`${source}: ${field}: missing (expected an array of numbers)`);
  if (!Array.isArray(value)) throw new InputError(`${source}: ${field}: expected an array of numbers, got ${describe(value)}`);
  if (value.length !== expectedLength) {
    throw new InputError(`${source}: ${field}: has ${value.length} entries, expected ${expectedLength} (${lengthMeaning})`);
  }
  return Float64Array.from(value, (entry: unknown, i) => {
    if (typeof entry !== "number" || !Number.isFinite(entry)) {
      throw new InputError(`${source}: ${field}[${i}]: expected a finite number, got ${describe(entry)}`);
    }
    return entry;
  });
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
