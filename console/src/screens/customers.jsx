// customers.jsx - customer search (placeholder until part 5 lands).
import { Title } from '../ui/layout.jsx';

export default function Customers() {
    return <Title>Покупатели</Title>;
}
