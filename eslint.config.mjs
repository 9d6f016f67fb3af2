import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "coverage/**",
      "jest.config.js",
      "devhost/jest.config.js",
      "test/fixtures/**/*.js",
      "devhost/test/fixtures/**/*.js",
      "devhost/dist/**",
      "test/summaryReporter.js",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // CommonJS config and setup files, run by Node / jest.
    files: ["devhost/jest.projects.js", "devhost/test/stores/*.js", "test/e2e/useSqliteStore.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { __dirname: "readonly", module: "writable", require: "readonly", process: "readonly" },
    },
  },
  {
    files: ["scripts/**/*.mjs"],
    languageOptions: { globals: { console: "readonly", process: "readonly" } },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    // The dashboard's browser scripts share one scope (starters/dashboard.ts runs them as one script):
    // a top-level name is used by the other files, which tsc checks (dashboard/tsconfig.json).
    files: ["dashboard/**/*.ts"],
    languageOptions: { sourceType: "script" },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { vars: "local", argsIgnorePattern: "^_" }],
    },
  },
);
