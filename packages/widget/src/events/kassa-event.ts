/**
 * What every `kassa-*` event is: a CustomEvent carrying its `detail`, bubbling and composed (so
 * it crosses shadow roots: merchants listen on their own component that renders
 * <kassa-checkout>), with its name as the class's static `eventName`. Each event keeps its own
 * typed class in its own module; only this shape is shared (kassa.js carries it once).
 */
export interface KassaEventClass<Detail, Name extends string> {
  new (detail: Detail): CustomEvent<Detail>;
  readonly eventName: Name;
}

export function kassaEvent<Detail, Name extends string>(name: Name): KassaEventClass<Detail, Name> {
  return class extends CustomEvent<Detail> {
    static readonly eventName = name;

    constructor(detail: Detail) {
      super(name, { detail, bubbles: true, composed: true });
    }
  };
}
