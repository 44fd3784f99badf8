// The least of a DOM that app/dom.js and the page parts need, for node's test runner: elements with
// attributes, listeners, children and text. Installed on globalThis by installFakeDom().
class FakeNode {
  constructor() { this.parentNode = null; }
  remove() {
    if (!this.parentNode) return;
    const siblings = this.parentNode.childNodes;
    siblings.splice(siblings.indexOf(this), 1);
    this.parentNode = null;
  }
}

class FakeText extends FakeNode {
  constructor(text) { super(); this.data = text; }
  get textContent() { return this.data; }
}

class FakeElement extends FakeNode {
  constructor(tag) {
    super();
    this.tagName = tag.toUpperCase();
    this.attributes = new Map();
    this.listeners = new Map();
    this.childNodes = [];
    this.disabled = false;
  }
  setAttribute(name, value) {
    this.attributes.set(name, String(value));
    if (name === 'disabled') this.disabled = true;
  }
  getAttribute(name) { return this.attributes.get(name) ?? null; }
  addEventListener(type, fn) { (this.listeners.get(type) ?? this.listeners.set(type, []).get(type)).push(fn); }
  click() { if (!this.disabled) for (const fn of this.listeners.get('click') ?? []) fn({ preventDefault() {} }); }
  append(...nodes) { for (const n of nodes) this.insertBefore(typeof n === 'string' ? new FakeText(n) : n, null); }
  insertBefore(node, before) {
    node.remove();
    node.parentNode = this;
    const at = before ? this.childNodes.indexOf(before) : -1;
    if (at < 0) this.childNodes.push(node); else this.childNodes.splice(at, 0, node);
    return node;
  }
  replaceChildren(...nodes) {
    for (const n of [...this.childNodes]) n.remove();
    this.append(...nodes);
  }
  get children() { return this.childNodes.filter((n) => n instanceof FakeElement); }
  get textContent() { return this.childNodes.map((n) => n.textContent).join(''); }
  set textContent(text) { this.replaceChildren(String(text)); }
  /** Every descendant element whose tag is `tag` (lowercase), depth first. */
  all(tag) {
    const out = [];
    for (const child of this.children) {
      if (child.tagName === tag.toUpperCase()) out.push(child);
      out.push(...child.all(tag));
    }
    return out;
  }
}

export function installFakeDom() {
  globalThis.Node = FakeNode;
  globalThis.document = {
    createElement: (tag) => new FakeElement(tag),
    createElementNS: (_ns, tag) => new FakeElement(tag),
  };
}
