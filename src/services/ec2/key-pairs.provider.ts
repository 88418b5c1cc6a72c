export const keyPairHandlers = {};
