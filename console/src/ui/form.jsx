// form.jsx - form fields with their label and, beside the field, the API's error for it
// (ApiError.field names the field: the reply's `error.field`); an error of no field shows above
// the button as an alert.
import { useId } from 'preact/hooks';
import { errorText } from './layout.jsx';

/** The error text of `name`, when err names that field. */
export function fieldError(err, name) {
    return err && err.field === name ? errorText(err) : null;
}

/** An error of the form as a whole: one that names none of `fields`. */
export function formError(err, fields) {
    return err && !(err.field && fields.includes(err.field)) ? errorText(err) : null;
}

/** A field's frame: its label, the control (`children(describedBy)`), a hint, the error beside. */
function FieldFrame({ id, label, hint, error, children }) {
    const described = [hint ? `${id}-hint` : null, error ? `${id}-err` : null].filter(Boolean).join(' ');
    return (
        <div class={`field${error ? ' has-error' : ''}`}>
            <label for={id}>{label}</label>
            {children(described || undefined)}
            {hint ? (
                <span class="hint" id={`${id}-hint`}>
                    {hint}
                </span>
            ) : null}
            {error ? (
                <span class="field-error" id={`${id}-err`}>
                    {error}
                </span>
            ) : null}
        </div>
    );
}

export function Field({ label, name, error, hint, type = 'text', value, onInput, ...rest }) {
    const id = useId();
    return (
        <FieldFrame id={id} label={label} hint={hint} error={error}>
            {(described) => (
                <input
                    id={id}
                    name={name}
                    type={type}
                    value={value}
                    onInput={(e) => onInput && onInput(e.currentTarget.value)}
                    aria-invalid={error ? 'true' : undefined}
                    aria-describedby={described}
                    {...rest}
                />
            )}
        </FieldFrame>
    );
}

export function Select({ label, name, value, onInput, options, error, hint }) {
    const id = useId();
    return (
        <FieldFrame id={id} label={label} hint={hint} error={error}>
            {(described) => (
                <select
                    id={id}
                    name={name}
                    value={value}
                    onChange={(e) => onInput(e.currentTarget.value)}
                    aria-invalid={error ? 'true' : undefined}
                    aria-describedby={described}
                >
                    {options.map((o) => (
                        <option value={o.value}>{o.label}</option>
                    ))}
                </select>
            )}
        </FieldFrame>
    );
}

/** A form: prevents the page's submit, disables the button while busy, shows a form-level error. */
export function Form({ onSubmit, error, busy, submit, label, children }) {
    return (
        <form
            aria-label={label}
            onSubmit={(e) => {
                e.preventDefault();
                if (!busy) {
                    onSubmit();
                }
            }}
            noValidate
        >
            {children}
            {error ? (
                <p class="error" role="alert">
                    {error}
                </p>
            ) : null}
            <button type="submit" disabled={busy} aria-busy={busy ? 'true' : undefined}>
                {submit}
            </button>
        </form>
    );
}
