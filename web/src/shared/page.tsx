import { useEffect, useRef, type ReactNode } from 'react';

let firstPage = true;

/**
 * A page: sets the document title and, after an in-app navigation, moves focus
 * to its heading so screen-reader and keyboard users start at the new content
 * (a full page load leaves focus where the browser put it).
 */
export function Page({ title, app, actions, children }: { title: string; app: string; actions?: ReactNode; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · ${app}`;
  }, [title, app]);
  useEffect(() => {
    if (firstPage) firstPage = false;
    else heading.current?.focus();
  }, []);
  return (
    <>
      <div className="page-heading">
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {actions}
      </div>
      {children}
    </>
  );
}
