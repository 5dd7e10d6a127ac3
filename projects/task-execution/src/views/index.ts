export { views } from "./definitions";
