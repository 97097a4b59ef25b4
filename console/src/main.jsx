// main.jsx - the console's entry: asks the server for the session, then shows the login screen, the
// second factor's, or the frame with the screens; any 401 of an API call comes back here.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { onLoginNeeded } from './api.js';
import { App } from './app.jsx';
import { Login, Totp } from './login.jsx';
import { loadSession, sessionLost, sessionState, subscribe } from './session.js';
import { ErrorBox, Loading } from './ui/layout.jsx';
import './ui/style.css';

onLoginNeeded(sessionLost);

function Root() {
    const [st, setSt] = useState(sessionState());
    const [ready, setReady] = useState(false);
    const [err, setErr] = useState(null);
    useEffect(() => {
        const off = subscribe(setSt);
        loadSession().then(
            () => setReady(true),
            (e) => setErr(e),
        );
        return off;
    }, []);
    if (err) {
        return (
            <main id="main">
                <ErrorBox error={err} />
            </main>
        );
    }
    if (!ready) {
        return (
            <main id="main">
                <Loading />
            </main>
        );
    }
    if (!st.session) {
        return <Login expired={st.expired} />;
    }
    if (st.session.second_factor === 'needed') {
        return <Totp />;
    }
    return <App session={st.session} />;
}

render(<Root />, document.getElementById('app'));
