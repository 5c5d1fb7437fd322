// eventsource-parser as a page would ship it: createParser only.
export { createParser } from 'eventsource-parser';
