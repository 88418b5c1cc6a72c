export const internetGatewayHandlers = {};
