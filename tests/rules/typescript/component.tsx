// TSX: JSX sinks.
export function Bio({ html, user }: { html: string; user: { name: string } }) {
  const clean = DOMPurify.sanitize(html);
  return (
    <div>
      <p dangerouslySetInnerHTML={{ __html: html }} /> {/* expect: LS111 */}
      <p dangerouslySetInnerHTML={{ __html: clean }} />
      <span>{user.name}</span>
    </div>
  );
}
