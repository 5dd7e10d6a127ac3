import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "**/*.js", "**/*.mjs", "**/*.cjs"] },
  ...tseslint.configs.recommended,
  {
    // The @pulumi rules need type information (is this value an Output?).
    // One program for the whole tree: per-workspace projects each load @pulumi/aws and exhaust memory.
    languageOptions: { parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname } },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", ignoreRestSiblings: true }],
      // Resource state read off the mock engine and Pulumi config is untyped JSON by nature.
      "@typescript-eslint/no-explicit-any": "warn",
      // Packages meet through their public entries (package.json "exports"), never each other's files.
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^@sec-an/[^/]+/(src|test|container)(/|$)",
              message:
                "Import the package's public entry (its index or a subpath in its package.json exports).",
            },
          ],
        },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportExpression[source.value=/^@sec-an\\x2f[a-z-]+\\x2f(src|test|container)\\b/]",
          message: "Import the package's public entry (its index or a subpath in its package.json exports).",
        },
        {
          selector:
            "CallExpression[callee.property.name='resolve'][arguments.0.value=/^@sec-an\\x2f[a-z-]+\\x2f(src|test|container)\\b/]",
          message: "Resolve a subpath the package exports (package.json exports), not one of its files.",
        },
      ],
    },
  },
);
