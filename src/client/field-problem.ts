/**
 * What is wrong with a form field, said at the field: it is marked invalid and described by a
 * message beside it (named in its `aria-describedby`, so a screen reader reads it with the
 * field), or both are cleared. The message element is made on first need, after the field's
 * `.field` container.
 */
export function showFieldProblem(field: HTMLElement, message: string | null): void {
  const doc = field.ownerDocument;
  const id = `${field.id || field.getAttribute('name') || 'field'}Error`;
  let note = doc.getElementById(id);
  if (!note && message) {
    note = doc.createElement('span');
    note.id = id;
    note.className = 'field-error';
    (field.closest('.field') ?? field.parentElement)?.append(note);
  }
  if (note) note.textContent = message ?? '';
  const described = (field.getAttribute('aria-describedby') ?? '').split(/\s+/).filter((name) => name && name !== id);
  if (message) described.push(id);
  if (described.length) field.setAttribute('aria-describedby', described.join(' '));
  else field.removeAttribute('aria-describedby');
  if (message) field.setAttribute('aria-invalid', 'true');
  else field.removeAttribute('aria-invalid');
}

/**
 * Marks a form's submit button busy without `disabled`: a disabled button drops the keyboard's
 * focus to the page, and a keyboard user would have to find their place again. The form
 * ignores submits while busy itself.
 */
export function markBusy(button: HTMLButtonElement | null, busy: boolean): void {
  if (busy) button?.setAttribute('aria-disabled', 'true');
  else button?.removeAttribute('aria-disabled');
}
