// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export const DIGITS = /^[0-9]+$/;
