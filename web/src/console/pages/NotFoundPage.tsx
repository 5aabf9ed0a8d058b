import { Page } from '../../shared/page.tsx';
import { Link } from '../../shared/router.tsx';

export function NotFoundPage() {
  return (
    <Page title="No such page" app="PayMesh console">
      <p>
        The console has no page here. <Link to="/console">Go to platform health</Link>.
      </p>
    </Page>
  );
}
