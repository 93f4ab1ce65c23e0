// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export class Box<T> {
  constructor(readonly value: T) {}
}
