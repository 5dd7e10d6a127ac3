// Contracts specific to the analytics area (owned by that area; imported by its handlers and programs).
export {};
