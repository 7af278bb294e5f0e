// Clock and id generation as ports, so services and jobs can be tested with fake time.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
