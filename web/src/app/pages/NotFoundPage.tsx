import { Page } from '../../shared/page.tsx';
import { Link } from '../../shared/router.tsx';

export function NotFoundPage() {
  return (
    <Page title="Page not found" app="PayMesh">
      <p>
        There is nothing at this address. Go to <Link to="/">your wallets</Link>.
      </p>
    </Page>
  );
}
