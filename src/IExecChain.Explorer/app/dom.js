// Building DOM without innerHTML: values from the chain are text, never markup, and the page's CSP
// refuses inline style, so nothing here writes a style attribute.

/**
 * h('a', { href: '#/block/1', class: 'hash' }, 'text', otherNode): an element with attributes
 * (`class`, `on*` listeners as functions, others as strings; null/false skipped) and children
 * (strings become text nodes; null/false skipped; arrays flattened).
 */
export function h(tag, attributes, ...children) {
  const el = document.createElement(tag);
  return fill(el, attributes, children);
}

const SVG = 'http://www.w3.org/2000/svg';

/** As h(), in the SVG namespace. */
export function svg(tag, attributes, ...children) {
  return fill(document.createElementNS(SVG, tag), attributes, children);
}

function fill(el, attributes, children) {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Sets a text node's or element's text only when it changed (no layout work otherwise). */
export function setText(el, text) {
  const value = String(text);
  if (el.textContent !== value) el.textContent = value;
}
