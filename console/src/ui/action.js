// action.js - a button's action on an analytic screen (store the RFM scores, recompute the
// traits, refresh a segment): busy while it runs, then what it did or the API's error in words.
import { useState } from 'preact/hooks';
import { errorText } from './layout.jsx';

/** useAction() -> {busy, msg, run(fn)}: run awaits fn(), whose value (a text) becomes msg. */
export function useAction() {
    const [busy, setBusy] = useState(false);
    const [msg, setMsg] = useState(null);
    const run = async (fn) => {
        setBusy(true);
        try {
            setMsg(await fn());
        } catch (e) {
            setMsg(errorText(e));
        } finally {
            setBusy(false);
        }
    };
    return { busy, msg, run };
}
