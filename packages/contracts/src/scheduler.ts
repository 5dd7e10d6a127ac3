// Contracts specific to the scheduler area (owned by that area; imported by its handlers and programs).
export {};
