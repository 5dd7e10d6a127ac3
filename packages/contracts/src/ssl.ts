// Contracts specific to the ssl area (owned by that area; imported by its handlers and programs).
export {};
