// Contracts specific to the nmap area (owned by that area; imported by its handlers and programs).
export {};
